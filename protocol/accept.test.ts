import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { acceptRelease, type AcceptInput } from './accept.ts';
import { buildRelease, buildRollback } from '../publisher/build.ts';
import { configBytes } from './config.ts';
import { utf8 } from './bytes.ts';
import { generateSigningKey, type SigningKey } from './crypto.ts';
import { ErrorCode } from './errors.ts';
import { trustKeys } from './keys.ts';
import { signRelease, type Release, type SignedRelease } from './release.ts';

const NOW = Date.parse('2026-11-23T12:00:00.000Z');
let key: SigningKey;
let stranger: SigningKey;
let trusted: Map<string, string>;
let signed: SignedRelease;

beforeAll(async () => {
  key = await generateSigningKey();
  stranger = await generateSigningKey();
  trusted = await trustKeys([key.publicKey]);
  const texture = new Uint8Array(200_000).map((_, i) => i % 251);
  ({ signed } = await buildRelease({
    room: 'demo',
    key,
    previous: null,
    version: '1.0.0',
    notes: 'first',
    now: new Date(NOW - 1000),
    chunkSize: 64 * 1024,
    slots: {
      logic: { kind: 'script', bytes: utf8('export function update(b){return b}'), version: '1.0.0' },
      background: { kind: 'texture', bytes: texture, version: '1.0.0', mime: 'image/png' },
      theme: { kind: 'config', bytes: configBytes({ background: '#102030' }), version: '1.0.0' },
    },
  }));
});

function input(candidate: unknown, over: Partial<AcceptInput> = {}): AcceptInput {
  return { candidate, room: 'demo', trustedKeys: trusted, current: null, now: NOW, ...over };
}

async function resign(release: Release, by = key): Promise<SignedRelease> {
  return signRelease({ ...release, keyId: by.keyId }, by);
}

describe('acceptRelease', () => {
  it('accepts a well-formed release signed by a trusted key', async () => {
    const result = await acceptRelease(input(signed));
    expect(result).toEqual({ ok: true, value: signed });
  });

  it('accepts after a JSON round trip (what the wire does)', async () => {
    const result = await acceptRelease(input(JSON.parse(JSON.stringify(signed))));
    expect(result.ok).toBe(true);
  });

  it('refuses flipping any byte of the signed release', async () => {
    const text = JSON.stringify(signed);
    const bytes = utf8(text);
    const codes = new Set<string>();
    for (let i = 0; i < bytes.length; i++) {
      const tampered = bytes.slice();
      tampered[i] = tampered[i]! ^ 0x01;
      let candidate: unknown;
      try {
        candidate = JSON.parse(new TextDecoder().decode(tampered));
      } catch {
        codes.add('BAD_JSON');
        continue;
      }
      const result = await acceptRelease(input(candidate));
      expect(result.ok, `byte ${i} (${text[i]}) flipped was accepted`).toBe(false);
      if (!result.ok) codes.add(result.code);
    }
    // Tampering shows up as structure, key or signature failures, never as success.
    expect(codes).toContain(ErrorCode.BAD_SIGNATURE);
    expect(codes).toContain(ErrorCode.BAD_RELEASE);
  });

  it('property: random bit flips anywhere are refused', async () => {
    const bytes = utf8(JSON.stringify(signed));
    await fc.assert(
      fc.asyncProperty(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), async (at, mask) => {
        const tampered = bytes.slice();
        tampered[at] = tampered[at]! ^ mask;
        let candidate: unknown;
        try {
          candidate = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(tampered));
        } catch {
          return;
        }
        expect((await acceptRelease(input(candidate))).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('UNKNOWN_KEY: signed with a key the room does not trust', async () => {
    const result = await acceptRelease(input(await resign(signed.release, stranger)));
    expect(result).toMatchObject({ ok: false, code: ErrorCode.UNKNOWN_KEY });
  });

  it('BAD_SIGNATURE: signed by another key under a trusted key id', async () => {
    const forged = { release: signed.release, sig: (await resign(signed.release, stranger)).sig };
    expect(await acceptRelease(input(forged))).toMatchObject({ ok: false, code: ErrorCode.BAD_SIGNATURE });
  });

  it('STALE_SEQ: an equal or lower seq', async () => {
    expect(await acceptRelease(input(signed, { current: { seq: 1 } }))).toMatchObject({
      ok: false,
      code: ErrorCode.STALE_SEQ,
    });
    expect(await acceptRelease(input(signed, { current: { seq: 7 } }))).toMatchObject({
      ok: false,
      code: ErrorCode.STALE_SEQ,
    });
  });

  it('EXPIRED: past its expiresAt', async () => {
    const old = await resign({ ...signed.release, expiresAt: new Date(NOW - 1).toISOString() });
    expect(await acceptRelease(input(old))).toMatchObject({ ok: false, code: ErrorCode.EXPIRED });
  });

  it('FROM_FUTURE: createdAt beyond the allowed clock skew', async () => {
    const future = await resign({
      ...signed.release,
      createdAt: new Date(NOW + 10 * 60_000).toISOString(),
      expiresAt: new Date(NOW + 20 * 60_000).toISOString(),
    });
    expect(await acceptRelease(input(future))).toMatchObject({ ok: false, code: ErrorCode.FROM_FUTURE });
    expect((await acceptRelease(input(future, { maxSkewMs: 15 * 60_000 }))).ok).toBe(true);
  });

  it('BAD_SLOT: a chunk list that does not match the size', async () => {
    const bg = signed.release.slots.background!;
    const short = await resign({
      ...signed.release,
      slots: { ...signed.release.slots, background: { ...bg, chunks: bg.chunks.slice(1) } },
    });
    expect(await acceptRelease(input(short))).toMatchObject({ ok: false, code: ErrorCode.BAD_SLOT });
    const bigger = await resign({
      ...signed.release,
      slots: { ...signed.release.slots, background: { ...bg, size: bg.size + 70_000 } },
    });
    expect(await acceptRelease(input(bigger))).toMatchObject({ ok: false, code: ErrorCode.BAD_SLOT });
  });

  it('BAD_SLOT: a script over the script size limit', async () => {
    const logic = signed.release.slots.logic!;
    const huge = await resign({
      ...signed.release,
      slots: { ...signed.release.slots, logic: { ...logic, size: 300 * 1024, chunkSize: 1024 * 1024 } },
    });
    expect(await acceptRelease(input(huge))).toMatchObject({ ok: false, code: ErrorCode.BAD_SLOT });
  });

  it('WRONG_ROOM: a release of another room', async () => {
    expect(await acceptRelease(input(signed, { room: 'other' }))).toMatchObject({
      ok: false,
      code: ErrorCode.WRONG_ROOM,
    });
  });

  it('BAD_RELEASE, not a throw: a version or notes with an unpaired surrogate (not canonicalizable)', async () => {
    for (const field of ['version', 'notes'] as const) {
      const text = JSON.stringify(signed)
        .replace('"first"', '"x"')
        .replace(
          field === 'version' ? '"version":"1.0.0","notes"' : '"notes":"x"',
          field === 'version' ? '"version":"\\ud800","notes"' : '"notes":"\\ud800"',
        );
      const candidate: unknown = JSON.parse(text);
      expect(JSON.stringify(candidate)).toContain('\\ud800');
      expect(await acceptRelease(input(candidate))).toMatchObject({ ok: false, code: ErrorCode.BAD_RELEASE });
    }
  });

  it('BAD_RELEASE: junk, unknown fields, a missing signature', async () => {
    for (const junk of [null, 42, 'x', [], {}, { release: signed.release }, { ...signed, extra: 1 }]) {
      expect(await acceptRelease(input(junk))).toMatchObject({ ok: false, code: ErrorCode.BAD_RELEASE });
    }
  });

  it('accepts a rollback: a higher seq pointing at old slots', async () => {
    const { signed: second } = await buildRelease({
      room: 'demo',
      key,
      previous: signed.release,
      now: new Date(NOW),
      slots: { theme: { kind: 'config', bytes: configBytes({ background: '#ffffff' }), version: '1.1.0' } },
    });
    expect(second.release.seq).toBe(2);
    expect(second.release.slots.logic).toEqual(signed.release.slots.logic);
    const rollback = await buildRollback({
      current: second.release,
      target: signed.release,
      key,
      now: new Date(NOW),
    });
    const result = await acceptRelease(input(rollback, { current: second.release }));
    expect(result.ok).toBe(true);
    expect(rollback.release.seq).toBe(3);
    expect(rollback.release.slots).toEqual(signed.release.slots);
  });
});
