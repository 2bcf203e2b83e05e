import { describe, expect, it } from 'vitest';
import { describeBlob } from '../../protocol/blobs.ts';
import { buildRelease } from '../../publisher/build.ts';
import { generateSigningKey } from '../../protocol/crypto.ts';
import type { Result } from '../../protocol/errors.ts';
import type { SignedRelease } from '../../protocol/release.ts';
import { Swarm } from '../../player/swarm/swarm.ts';
import { CHUNK_FRAME_HEADER } from '../../protocol/swarm/wire.ts';
import { SimLink, SimRelay, syncHasher, Uplink, VirtualClock } from './sim-net.ts';
import { prng, simulate } from './simulate.ts';

function blobOf(size: number, seed: number): Uint8Array {
  const r = prng(seed);
  return Uint8Array.from({ length: size }, () => Math.floor(r() * 256));
}

async function room(
  n: number,
  opts: { corruptFirst?: boolean; muteFirst?: boolean; relayBytesPerMs?: number } = {},
) {
  const clock = new VirtualClock();
  const bytes = blobOf(300_000, 7);
  const desc = await describeBlob(bytes, 16 * 1024);
  const relay = new SimRelay(
    clock,
    new Map([[desc.sha256, { bytes, chunkSize: 16 * 1024, chunks: desc.chunks.length }]]),
    { bytesPerMs: opts.relayBytesPerMs ?? 50_000, latencyMs: 20 },
  );
  const releases: [number, string][] = [];
  const nodes = Array.from({ length: n }, (_, i) => {
    const uplink = new Uplink(clock, 1_000);
    const swarm: Swarm = new Swarm({
      relay: relay.sourceFor(() => true),
      clock,
      random: prng(i + 1),
      hash: syncHasher,
      onPeerRelease: (signed) => releases.push([i, signed.sig]),
    });
    return { id: `p${i}`, uplink, swarm };
  });
  const links: SimLink[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const [a, b] = SimLink.pair(clock, nodes[i]!, nodes[j]!, 5);
      if (opts.corruptFirst && i === 0) corrupt(a);
      if (opts.muteFirst && i === 0) mute(a);
      nodes[i]!.swarm.addPeer(a);
      nodes[j]!.swarm.addPeer(b);
      links.push(a, b);
    }
  }
  return { clock, bytes, desc, relay, nodes, releases, links };
}

/** True when a fetch result holds exactly `bytes` (vitest's deep equality is slow on big arrays). */
function same(result: Result<Uint8Array>, bytes: Uint8Array): boolean {
  return result.ok && Buffer.from(result.value).equals(Buffer.from(bytes));
}

/** Makes a link drop every chunk it should send: a peer that claims chunks and never delivers. */
function mute(link: SimLink): void {
  const send = link.send.bind(link);
  link.send = (data) => (typeof data === 'string' ? send(data) : undefined);
}

/** Makes a link flip one byte of every chunk it sends: a lying peer. */
function corrupt(link: SimLink): void {
  const send = link.send.bind(link);
  link.send = (data) => {
    if (typeof data !== 'string') {
      const bad = data.slice();
      bad[CHUNK_FRAME_HEADER] = bad[CHUNK_FRAME_HEADER]! ^ 0xff;
      return send(bad);
    }
    return send(data);
  };
}

describe('swarm', () => {
  it('spreads a blob through peers, the relay sending about one copy', async () => {
    const { clock, bytes, desc, relay, nodes } = await room(6);
    const results = nodes.map((n) => n.swarm.fetch(desc));
    await clock.run(() => false, 60_000);
    for (const r of await Promise.all(results)) expect(same(r, bytes)).toBe(true);
    expect(relay.bytesSent).toBeLessThanOrEqual(2 * bytes.length);
    const fromPeers = nodes.reduce((s, n) => s + n.swarm.stats.bytesFromPeers, 0);
    expect(fromPeers).toBeGreaterThan(3 * bytes.length);
  });

  it('detects a peer that serves corrupt chunks, drops it, and still gets the right blob', async () => {
    const { clock, bytes, desc, nodes } = await room(4, { corruptFirst: true });
    nodes[0]!.swarm.hold(desc, bytes); // the liar holds the blob, so everyone asks it first
    const results = nodes.slice(1).map((n) => n.swarm.fetch(desc));
    await clock.run(() => false, 60_000);
    for (const r of await Promise.all(results)) expect(same(r, bytes)).toBe(true);
    const bad = nodes.slice(1).reduce((s, n) => s + n.swarm.stats.badChunks, 0);
    expect(bad).toBeGreaterThan(0);
    for (const n of nodes.slice(1)) {
      expect(n.swarm.peerIds()).not.toContain('p0');
      expect(n.swarm.canAdd('p0')).toBe(false); // never asked again
    }
  });

  it('lets go of a peer that claims every chunk and never sends one', async () => {
    // A slow relay, so the transfer outlasts the liar's eight timed-out requests.
    const { clock, bytes, desc, nodes } = await room(2, { muteFirst: true, relayBytesPerMs: 40 });
    nodes[0]!.swarm.hold(desc, bytes);
    const result = nodes[1]!.swarm.fetch(desc);
    await clock.run(() => false, 120_000);
    expect(same(await result, bytes)).toBe(true);
    expect(nodes[1]!.swarm.peerIds()).not.toContain('p0');
    expect(nodes[1]!.swarm.stats.bytesFromRelay).toBe(bytes.length);
  });

  it('falls back to the relay alone when there are no peers', async () => {
    const clock = new VirtualClock();
    const bytes = blobOf(100_000, 3);
    const desc = await describeBlob(bytes, 8192);
    const relay = new SimRelay(
      clock,
      new Map([[desc.sha256, { bytes, chunkSize: 8192, chunks: desc.chunks.length }]]),
      {
        bytesPerMs: 10_000,
        latencyMs: 10,
      },
    );
    const swarm = new Swarm({ relay: relay.sourceFor(() => true), clock, hash: syncHasher });
    const result = swarm.fetch(desc);
    await clock.run(() => false, 10_000);
    expect((await result).ok).toBe(true);
    expect(swarm.stats).toMatchObject({ bytesFromRelay: bytes.length, bytesFromPeers: 0 });
    expect(relay.deferred).toBe(0);
  });

  it('passes a newer release to peers that hold less, once', async () => {
    const { clock, nodes, releases } = await room(3);
    const key = await generateSigningKey();
    const { signed } = await buildRelease({
      room: 'demo',
      key,
      previous: null,
      slots: { logic: { kind: 'script', bytes: new TextEncoder().encode('x'), version: '1' } },
    });
    nodes[0]!.swarm.announce(signed as SignedRelease);
    await clock.run(() => false, 1_000);
    expect(releases.map(([i]) => i).sort()).toEqual([1, 2]);
  });

  it('keeps going when peers leave mid-transfer', async () => {
    const result = await simulate({ peers: 40, blobBytes: 512 * 1024, leaveFraction: 0.25, seed: 5 });
    expect(result.completed).toBe(result.stayed);
    expect(result.relayBytes).toBeLessThan(3 * 512 * 1024);
  });
});
