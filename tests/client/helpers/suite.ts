/**
 * What every test of the shared client suite needs: a real relay in-process with a meddler in front,
 * a room key, releases to publish, a game that records what it was asked to apply, and waiting.
 */
import sharp from 'sharp';
import { buildRelease, type BuiltRelease } from '../../../publisher/build.ts';
import { configBytes } from '../../../protocol/config.ts';
import type { SlotInput } from '../../../protocol/assemble.ts';
import { utf8 } from '../../../protocol/bytes.ts';
import type { SigningKey } from '../../../protocol/crypto.ts';
import { ApiPath } from '../../../protocol/http.ts';
import type { Release } from '../../../protocol/release.ts';
import type { ApplyOutcome, PatchHandlers } from '../../../player/core/apply.ts';
import type { PatchClient } from '../../../player/core/patch-client.ts';
import type { AppliedDetail } from '../../../player/core/status.ts';
import { postRelease, type TestServer } from '../../../signaling/testing/helpers.ts';

export const ROOM = 'demo';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it gives something truthy. */
export async function until<T>(check: () => T | undefined | false | null, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

/** A game that records what it was asked to apply; a script containing FAIL fails, SLOW times out. */
export function game() {
  const applied: string[] = [];
  const handlers: PatchHandlers = {
    script: (change, source): ApplyOutcome => {
      applied.push(`${change.name}:${change.slot.version}${change.fromCache ? ':cache' : ''}`);
      if (source.includes('SLOW'))
        return { status: 'failed', error: 'update() took longer', transient: true };
      return source.includes('FAIL')
        ? { status: 'failed', error: 'update() threw Error: FAIL' }
        : { status: 'applied' };
    },
    texture: (change) => {
      applied.push(`${change.name}:${change.slot.version}${change.fromCache ? ':cache' : ''}`);
      return { status: 'applied' };
    },
    config: (change, value) => {
      applied.push(
        `${change.name}:${change.slot.version}:${JSON.stringify(value)}${change.fromCache ? ':cache' : ''}`,
      );
      return { status: 'applied' };
    },
  };
  return { applied, handlers };
}

export const script = (text: string, version: string): SlotInput => ({
  kind: 'script',
  bytes: utf8(text),
  version,
});

/** A real PNG of about `size` bytes (random pixels don't compress); `seed` makes each one different. */
export async function png(size: number, seed = 1): Promise<Uint8Array> {
  const side = Math.max(4, Math.ceil(Math.sqrt(size / 3)));
  const raw = Buffer.alloc(side * side * 3);
  let x = seed * 7919 + 12345;
  for (let i = 0; i < raw.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    raw[i] = x >>> 24;
  }
  return new Uint8Array(
    await sharp(raw, { raw: { width: side, height: side, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer(),
  );
}

let seeds = 0;
export const texture = async (size: number, version: string): Promise<SlotInput> => ({
  kind: 'texture',
  bytes: await png(size, ++seeds),
  version,
  mime: 'image/png',
});

export const theme = (background: string, version: string): SlotInput => ({
  kind: 'config',
  bytes: configBytes({ background }),
  version,
});

/** Builds a release of the room, in 1 KiB chunks. */
export function release(
  key: SigningKey,
  previous: Release | null,
  slots: Record<string, SlotInput>,
): Promise<BuiltRelease> {
  return buildRelease({ room: ROOM, key, previous, slots, chunkSize: 1024 });
}

/**
 * Publishes to the real relay as the publisher does (seq 1 names the room's key, `publicKey`, and
 * creates the room as the relay's operator); throws unless accepted.
 */
export async function publish(relay: TestServer, built: BuiltRelease, publicKey: string): Promise<void> {
  const res = await postRelease(relay.url, built, built.signed.release.seq === 1 ? { publicKey } : {});
  if (res.status !== 201) throw new Error(`publish refused: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Posts a key rotation record to the real relay. */
export async function rotate(relay: TestServer, record: unknown): Promise<void> {
  const res = await fetch(relay.url + ApiPath.keys(ROOM), { method: 'POST', body: JSON.stringify(record) });
  if (!res.ok) throw new Error(`rotation refused: ${res.status} ${await res.text()}`);
}

/** The next `applied` event (optionally: the next one that matches). */
export function nextApplied(c: PatchClient, match: (d: AppliedDetail) => boolean = () => true) {
  return new Promise<AppliedDetail>((resolve) => {
    const off = c.on('applied', (detail) => {
      if (!match(detail)) return;
      off();
      resolve(detail);
    });
  });
}
