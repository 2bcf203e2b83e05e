import { describe, expect, it } from 'vitest';
import { describeBlob, sliceChunk } from '../../protocol/blobs.ts';
import { toBase64 } from '../../protocol/bytes.ts';
import type { BlobGet, Message, SwarmStarved } from '../../protocol/messages.ts';
import { RelayBlobs } from './relay-blobs.ts';

/** A relay in memory: answers each `blob.get` on the next tick, optionally corrupting or deferring. */
function fakeRelay(blob: Uint8Array, chunkSize: number, mode: 'honest' | 'corrupt' | 'defer' = 'honest') {
  const asked: BlobGet[] = [];
  const said: boolean[] = [];
  let blobs: RelayBlobs | null = null;
  const send = (get: BlobGet | SwarmStarved): boolean => {
    if (get.type === 'swarm.starved') {
      said.push(get.starved);
      return true;
    }
    asked.push(get);
    setTimeout(() => {
      for (let i = get.from; i < get.from + get.count; i++) {
        if (mode === 'defer' && get.defer) {
          blobs?.deferred({ type: 'blob.defer', sha256: get.sha256, index: i, retryAfterMs: 500 });
          continue;
        }
        const chunk = sliceChunk(blob, i, chunkSize).slice();
        if (mode === 'corrupt') chunk[0] = chunk[0]! ^ 1;
        const message: Message = { type: 'blob', sha256: get.sha256, index: i, data: toBase64(chunk) };
        if (message.type === 'blob') void blobs?.receive(message);
      }
    }, 0);
    return true;
  };
  blobs = new RelayBlobs(send, { window: 4, stallMs: 500 });
  return { blobs, asked, said };
}

const bytes = new Uint8Array(10_000).map((_, i) => (i * 13) & 255);

describe('RelayBlobs', () => {
  it('fetches a blob in windows of requests, verified, with progress', async () => {
    const desc = await describeBlob(bytes, 1024);
    const { blobs, asked } = fakeRelay(bytes, 1024);
    const progress: number[] = [];
    const r = await blobs.fetch(desc, { onProgress: (n) => progress.push(n) });
    expect(r.ok && [...r.value]).toEqual([...bytes]);
    expect(asked.every((g) => g.count <= 4)).toBe(true);
    // Each of the 10 chunks asked for once: none again while its hash was being checked.
    expect(asked.reduce((n, g) => n + g.count, 0)).toBe(10);
    expect(progress.at(-1)).toBe(10_000);
    expect(blobs.traffic()).toEqual({ bytesFromRelay: 10_000, bytesFromPeers: 0, peers: 0 });
  });

  it('fails a blob whose chunks keep failing their hash', async () => {
    const desc = await describeBlob(bytes, 1024);
    const { blobs } = fakeRelay(bytes, 1024, 'corrupt');
    const r = await blobs.fetch(desc);
    expect(r).toMatchObject({ ok: false, code: 'HASH_MISMATCH' });
  });

  it('abandons a fetch when its signal aborts', async () => {
    const desc = await describeBlob(bytes, 1024);
    const blobs = new RelayBlobs(() => true, { stallMs: 10_000 });
    const controller = new AbortController();
    const pending = blobs.fetch(desc, { signal: controller.signal });
    controller.abort();
    expect(await pending).toMatchObject({ ok: false });
  });

  it('serves the swarm single chunks, deferred when the relay says so', async () => {
    const desc = await describeBlob(bytes, 1024);
    const honest = fakeRelay(bytes, 1024);
    const chunk = await honest.blobs.getChunk(desc.sha256, 2, false);
    expect(chunk.kind === 'chunk' && [...chunk.bytes]).toEqual([...bytes.subarray(2048, 3072)]);
    const deferring = fakeRelay(bytes, 1024, 'defer');
    expect(await deferring.blobs.getChunk(desc.sha256, 2, true)).toEqual({
      kind: 'deferred',
      retryAfterMs: 500,
    });
    expect(deferring.asked[0]).toMatchObject({ from: 2, count: 1, defer: true });
    const offline = new RelayBlobs(() => false);
    expect(await offline.getChunk(desc.sha256, 0, false)).toMatchObject({ kind: 'error' });
  });

  it('tells the relay once per change that the swarm is starved, and again on a new connection', () => {
    const { blobs, said } = fakeRelay(bytes, 1024);
    blobs.starved(true);
    blobs.starved(true);
    blobs.connected();
    blobs.starved(false);
    blobs.connected();
    expect(said).toEqual([true, true, false]);
  });
});
