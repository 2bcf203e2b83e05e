import { describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from '../protocol/bytes.ts';
import { configBytes } from '../protocol/config.ts';
import { generateSigningKey, sha256Hex } from '../protocol/crypto.ts';
import type { Release } from '../protocol/release.ts';
import { buildRelease } from './build.ts';
import { RelayError } from './errors.ts';
import { planRelease, type Change } from './plan.ts';

const SCRIPT = utf8('export function update(b){return b}');
const THEME = { background: '#102030', ball: '#ff0000', ballRadius: 20 };

async function live(): Promise<{ release: Release; blobs: Map<string, Uint8Array> }> {
  const key = await generateSigningKey();
  const built = await buildRelease({
    room: 'r',
    key,
    previous: null,
    version: '1.0.0',
    slots: {
      logic: { kind: 'script', lang: 'js', bytes: SCRIPT, version: '1.0.0' },
      theme: { kind: 'config', bytes: configBytes(THEME), version: '1.0.0' },
      tuning: { kind: 'config', bytes: configBytes({ speed: 2 }), version: '1.0.0', rolloutPercent: 10 },
    },
  });
  return { release: built.signed.release, blobs: built.blobs };
}

async function plan(changes: Change[], rolloutPercent?: number) {
  const { release, blobs } = await live();
  return planRelease(release, changes, {
    version: '1.1.0',
    ...(rolloutPercent === undefined ? {} : { rolloutPercent }),
    liveBlob: (sha) => Promise.resolve(blobs.get(sha)!),
  });
}

async function refusal(promise: Promise<unknown>): Promise<RelayError> {
  const error = await promise.catch((e: unknown) => e);
  if (!(error instanceof RelayError)) throw new Error(`expected a RelayError, got ${String(error)}`);
  return error;
}

describe('planRelease', () => {
  it('edits the theme as a patch: given fields replace, the rest stay; written canonically', async () => {
    const p = await plan([{ op: 'theme', patch: { ball: '#00ff00' } }]);
    expect(p.changed).toEqual(['theme']);
    const bytes = p.slots['theme']!.bytes;
    expect(fromUtf8(bytes)).toBe('{"background":"#102030","ball":"#00ff00","ballRadius":20}');
    // The same theme given in another order is the same blob.
    const again = await plan([{ op: 'theme', patch: { ballRadius: 20, ball: '#00ff00' } }]);
    expect(await sha256Hex(again.slots['theme']!.bytes)).toBe(await sha256Hex(bytes));
  });

  it('applies changes in order: a theme set in the same publish is the one a patch edits', async () => {
    const p = await plan([
      {
        op: 'set',
        slot: 'theme',
        content: { kind: 'config', bytes: configBytes({ background: '#000000' }) },
      },
      { op: 'theme', patch: { ball: '#ffffff' } },
    ]);
    expect(JSON.parse(fromUtf8(p.slots['theme']!.bytes))).toEqual({ background: '#000000', ball: '#ffffff' });
  });

  it('refuses a theme patch the schema refuses', async () => {
    const e = await refusal(plan([{ op: 'theme', patch: { ballRadius: 1 } }]));
    expect(e.code).toBe('BAD_CONFIG');
  });

  it('does not count content already live, and refuses a publish that changes nothing', async () => {
    const same: Change = { op: 'set', slot: 'logic', content: { kind: 'script', bytes: SCRIPT } };
    const e = await refusal(plan([same, { op: 'theme', patch: { ball: '#FF0000'.toLowerCase() } }]));
    expect(e.code).toBe('NOTHING_TO_PUBLISH');
    // The same bytes with a new rollout are a change (widening a staged rollout).
    const wider = await plan(
      [{ op: 'set', slot: 'tuning', content: { kind: 'config', bytes: configBytes({ speed: 2 }) } }],
      100,
    );
    expect(wider.changed).toEqual(['tuning']);
    expect(wider.slots['tuning']).toMatchObject({ version: '1.1.0' });
    expect(wider.slots['tuning']).not.toHaveProperty('rolloutPercent');
  });

  it('adds slots of any name, removes slots, and gives every change the version and rollout', async () => {
    const p = await plan(
      [
        {
          op: 'set',
          slot: 'enemy-ai',
          content: { kind: 'script', bytes: utf8('export function think(){}') },
        },
        { op: 'remove', slot: 'tuning' },
      ],
      25,
    );
    expect(p.changed).toEqual(['enemy-ai', 'tuning']);
    expect(p.remove).toEqual(['tuning']);
    expect(p.slots['enemy-ai']).toMatchObject({
      kind: 'script',
      lang: 'js',
      version: '1.1.0',
      rolloutPercent: 25,
    });
    const e = await refusal(plan([{ op: 'remove', slot: 'nope' }]));
    expect(e.code).toBe('BAD_SLOT');
  });
});
