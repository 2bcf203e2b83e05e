import { describe, expect, it } from 'vitest';
import { buildRelease } from '../../publisher/build.ts';
import { utf8 } from '../../protocol/bytes.ts';
import { generateSigningKey } from '../../protocol/crypto.ts';
import type { ApplyOutcome, PatchHandlers, SlotChange } from './apply.ts';
import { applyRelease } from './release-apply.ts';
import { emptyRoomState } from './schema.ts';
import type { AppliedDetail } from './status.ts';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1]);
const SCRIPT = utf8('export function update(b) { return b; }');
const CLIENT = 'p-0123456789ab';

/** Handlers that record each change they are called with, answering `answer(kind)`. */
function recording(answer: (kind: string) => ApplyOutcome = () => ({ status: 'applied' })) {
  const calls: [string, SlotChange][] = [];
  const handlers: PatchHandlers = {
    script: (change) => (calls.push(['script', change]), answer('script')),
    config: (change) => (calls.push(['config', change]), answer('config')),
    texture: (change) => (calls.push(['texture', change]), answer('texture')),
  };
  return { calls, handlers };
}

/** A room holding a logic script (release 1), then release 2: theme and background new, logic kept. */
async function twoReleases() {
  const key = await generateSigningKey();
  const first = await buildRelease({
    room: 'demo',
    key,
    previous: null,
    slots: { logic: { kind: 'script', bytes: SCRIPT, version: 'l1' } },
  });
  const one = await applyRelease({
    state: emptyRoomState('demo'),
    signed: first.signed,
    blobs: first.blobs,
    handlers: recording().handlers,
    clientId: CLIENT,
  });
  const second = await buildRelease({
    room: 'demo',
    key,
    previous: first.signed.release,
    slots: {
      theme: { kind: 'config', bytes: utf8('{"background":"#123456"}'), version: 't2' },
      background: { kind: 'texture', bytes: PNG, mime: 'image/png', version: 'b2' },
    },
  });
  return { key, first, one, second };
}

describe('applyRelease: the last handler learns the shown detail', () => {
  it('gives the last handler called (and only it) the detail `shown` will carry if it applies', async () => {
    const { one, second } = await twoReleases();
    const { calls, handlers } = recording();
    const result = await applyRelease({
      state: one.state,
      signed: second.signed,
      blobs: second.blobs,
      handlers,
      clientId: CLIENT,
    });
    // Configs, then textures; the logic is held already, so no handler of its own.
    expect(calls.map(([kind]) => kind)).toEqual(['config', 'texture']);
    expect(calls[0]![1].shownIfApplied).toBeUndefined();
    const shown: AppliedDetail = {
      seq: second.signed.release.seq,
      version: second.signed.release.version,
      fromCache: false,
      slots: result.outcomes,
    };
    expect(calls[1]![1].shownIfApplied).toEqual(shown);
    expect(Object.keys(shown.slots).sort()).toEqual(['background', 'logic', 'theme']);
  });

  it('carries an earlier failure in it; a last handler that fails makes another detail', async () => {
    const { one, second } = await twoReleases();
    const theme = recording((kind) =>
      kind === 'config' ? { status: 'failed', error: 'no theme today' } : { status: 'applied' },
    );
    const a = await applyRelease({
      state: one.state,
      signed: second.signed,
      blobs: second.blobs,
      handlers: theme.handlers,
      clientId: CLIENT,
    });
    expect(theme.calls[1]![1].shownIfApplied?.slots).toEqual(a.outcomes);
    expect(a.outcomes['theme']).toMatchObject({ status: 'failed', error: 'no theme today' });
    const texture = recording((kind) =>
      kind === 'texture' ? { status: 'failed', error: 'BAD_IMAGE' } : { status: 'applied' },
    );
    const b = await applyRelease({
      state: one.state,
      signed: second.signed,
      blobs: second.blobs,
      handlers: texture.handlers,
      clientId: CLIENT,
    });
    // Said for `applied` only: the detail the release really makes names the failure.
    expect(texture.calls[1]![1].shownIfApplied?.slots['background']?.status).toBe('applied');
    expect(b.outcomes['background']).toMatchObject({ status: 'failed' });
  });

  it('gives none when a removal follows the last slot', async () => {
    const { key, one, second } = await twoReleases();
    const applied = await applyRelease({
      state: one.state,
      signed: second.signed,
      blobs: second.blobs,
      handlers: recording().handlers,
      clientId: CLIENT,
    });
    const third = await buildRelease({
      room: 'demo',
      key,
      previous: second.signed.release,
      slots: { theme: { kind: 'config', bytes: utf8('{"background":"#654321"}'), version: 't3' } },
      remove: ['background'],
    });
    const removed: string[] = [];
    const { calls, handlers } = recording();
    await applyRelease({
      state: applied.state,
      signed: third.signed,
      blobs: third.blobs,
      handlers: { ...handlers, removed: (slot) => void removed.push(slot.name) },
      clientId: CLIENT,
    });
    expect(calls.map(([kind]) => kind)).toEqual(['config']);
    expect(calls[0]![1].shownIfApplied).toBeUndefined();
    expect(removed).toEqual(['background']);
  });
});
