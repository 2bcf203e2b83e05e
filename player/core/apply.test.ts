import { describe, expect, it } from 'vitest';
import { describeBlob } from '../../protocol/blobs.ts';
import { utf8 } from '../../protocol/bytes.ts';
import type { Slot } from '../../protocol/release.ts';
import { applySlot, type PatchHandlers } from './apply.ts';

async function slot(
  kind: 'script' | 'config' | 'texture',
  bytes: Uint8Array,
  extra: object = {},
): Promise<Slot> {
  const d = await describeBlob(bytes);
  const common = {
    sha256: d.sha256,
    size: d.size,
    chunkSize: d.chunkSize,
    chunks: [...d.chunks],
    version: '1',
  };
  if (kind === 'texture') return { kind, mime: 'image/png', ...common };
  return { kind, ...common, ...extra };
}

describe('applySlot', () => {
  const handlers: PatchHandlers = {
    script: () => ({ status: 'applied' }),
    config: (_, value) => ({ status: 'failed', error: JSON.stringify(value) }),
    texture: () => {
      throw new Error('decode failed');
    },
  };
  const change = (s: Slot, name = 'x') => ({ name, slot: s, seq: 1, fromCache: false });

  it('skips python scripts and kinds without a handler', async () => {
    const py = await slot('script', utf8('print(1)'), { lang: 'python' });
    expect(await applySlot(handlers, change(py), utf8('print(1)'))).toMatchObject({ status: 'skipped' });
    const js = await slot('script', utf8('x'));
    expect(await applySlot({}, change(js), utf8('x'))).toMatchObject({ status: 'skipped' });
  });

  it('refuses a script that is not UTF-8 before the game sees it', async () => {
    const bytes = new Uint8Array([0xff, 0xfe]);
    expect(await applySlot(handlers, change(await slot('script', bytes)), bytes)).toEqual({
      status: 'failed',
      error: 'BAD_SCRIPT: the script is not UTF-8',
    });
  });

  it('checks a theme against its schema before the game sees it', async () => {
    const bytes = utf8('{"background":"red"}');
    const r = await applySlot(handlers, change(await slot('config', bytes), 'theme'), bytes);
    expect(r).toMatchObject({ status: 'failed' });
    if (r.status === 'failed') expect(r.error).toContain('BAD_CONFIG');
  });

  it('turns a throwing handler into a failure with its message', async () => {
    const bytes = new Uint8Array([1, 2, 3]);
    expect(await applySlot(handlers, change(await slot('texture', bytes)), bytes)).toEqual({
      status: 'failed',
      error: 'Error: decode failed',
    });
  });
});
