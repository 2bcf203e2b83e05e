import { describe, expect, it } from 'vitest';
import { describeBlob } from '../../protocol/blobs.ts';
import { buildRelease } from '../../publisher/build.ts';
import { generateSigningKey } from '../../protocol/crypto.ts';
import type { Result } from '../../protocol/errors.ts';
import type { SignedRelease } from '../../protocol/release.ts';
import { Swarm } from '../../player/swarm/swarm.ts';
import { CHUNK_FRAME_HEADER, encodePeerMessage, PeerMessageType } from '../../protocol/swarm/wire.ts';
import { LIAR_MODES, SimLiar, type LiarMode } from './liar.ts';
import { SimLink, SimRelay, syncHasher, Uplink, VirtualClock } from './sim-net.ts';
import { prng, simulate } from './simulate.ts';

function blobOf(size: number, seed: number): Uint8Array {
  const r = prng(seed);
  return Uint8Array.from({ length: size }, () => Math.floor(r() * 256));
}

async function room(
  n: number,
  opts: { corruptFirst?: boolean; muteFirst?: boolean; relayBytesPerMs?: number; chunkSize?: number } = {},
) {
  const clock = new VirtualClock();
  const bytes = blobOf(300_000, 7);
  const chunkSize = opts.chunkSize ?? 16 * 1024;
  const desc = await describeBlob(bytes, chunkSize);
  const relay = new SimRelay(
    clock,
    new Map([[desc.sha256, { bytes, chunkSize, chunks: desc.chunks.length }]]),
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
      onPeerRelease: (signed) => void releases.push([i, signed.sig]),
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
    // Two players fetch, so the relay (slow, and serving one copy of each chunk) defers each to the
    // swarm for the chunks the other got first: then they ask peers, the liar among them.
    const { clock, bytes, desc, nodes } = await room(3, {
      muteFirst: true,
      relayBytesPerMs: 40,
      chunkSize: 4096,
    });
    nodes[0]!.swarm.hold(desc, bytes);
    const results = nodes.slice(1).map((n) => n.swarm.fetch(desc));
    await clock.run(() => false, 120_000);
    for (const result of results) expect(same(await result, bytes)).toBe(true);
    for (const node of nodes.slice(1)) {
      expect(node.swarm.peerIds()).not.toContain('p0');
      expect(node.swarm.canAdd('p0')).toBe(false);
    }
  });

  it('asks the relay, not peers, while the relay serves at once', async () => {
    const { clock, bytes, desc, nodes, relay } = await room(2, { muteFirst: true });
    nodes[0]!.swarm.hold(desc, bytes);
    const result = nodes[1]!.swarm.fetch(desc);
    await clock.run(() => false, 60_000);
    expect(same(await result, bytes)).toBe(true);
    expect(relay.deferred).toBe(0);
    expect(nodes[1]!.swarm.stats).toMatchObject({ bytesFromRelay: bytes.length, bytesFromPeers: 0 });
    // The peer that claims it all was never asked, so it was never caught either.
    expect(nodes[1]!.swarm.peerIds()).toContain('p0');
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

/**
 * One honest player linked to `liars` liars of `mode` (first, so their offers of every chunk come
 * first) and to one honest holder of a 2 MB blob (1 MB/s uplink); no relay: only peers can give it.
 */
async function liarRoom(mode: LiarMode, liars: number) {
  const clock = new VirtualClock();
  const bytes = blobOf(2_000_000, 9);
  const desc = await describeBlob(bytes, 64 * 1024);
  const node = (id: string) => ({
    id,
    uplink: new Uplink(clock, 1_000),
    swarm: new Swarm({ relay: null, clock, random: prng(id.length), hash: syncHasher }),
  });
  const victim = node('victim');
  const holder = node('holder');
  holder.swarm.hold(desc, bytes);
  const liarNodes = Array.from({ length: liars }, (_, i) => ({
    id: `liar${i}`,
    uplink: new Uplink(clock, 1_000),
    liar: new SimLiar(`liar${i}`, mode, desc),
  }));
  for (const l of liarNodes) {
    const [mine, theirs] = SimLink.pair(clock, victim, l, 5);
    l.liar.attach(theirs, () => {});
    victim.swarm.addPeer(mine);
  }
  const [mine, theirs] = SimLink.pair(clock, victim, holder, 5);
  victim.swarm.addPeer(mine);
  holder.swarm.addPeer(theirs);
  return { clock, bytes, desc, victim, liars: liarNodes };
}

describe('liar peers', () => {
  for (const mode of LIAR_MODES) {
    it(`drops and bans peers that claim every chunk and answer ${mode}, and gets the blob from the one that delivers`, async () => {
      const { clock, bytes, desc, victim, liars } = await liarRoom(mode, 3);
      const result = victim.swarm.fetch(desc);
      let doneAt = Infinity;
      void result.then(() => (doneAt = clock.now()));
      await clock.run(() => doneAt < Infinity, 60_000);
      expect(same(await result, bytes)).toBe(true);
      for (const l of liars) {
        expect(l.liar.requests).toBeGreaterThan(0);
        expect(victim.swarm.peerIds()).not.toContain(l.id);
        expect(victim.swarm.canAdd(l.id)).toBe(false); // banned: never linked or asked again
      }
      // Each liar wasted a few requests at most; the holder alone needs 2 s for 2 MB at 1 MB/s.
      expect(liars.reduce((s, l) => s + l.liar.requests, 0)).toBeLessThanOrEqual(3 * 4);
      expect(doneAt).toBeLessThan(2_600);
    });
  }

  it('tells the relay it is starved when its peers give it nothing, and is then served directly', async () => {
    const clock = new VirtualClock();
    const bytes = blobOf(300_000, 5);
    const desc = await describeBlob(bytes, 16 * 1024);
    const relay = new SimRelay(
      clock,
      new Map([[desc.sha256, { bytes, chunkSize: 16 * 1024, chunks: desc.chunks.length }]]),
      { bytesPerMs: 50_000, latencyMs: 20 },
    );
    const swarmOf = (seed: number) =>
      new Swarm({ relay: relay.sourceFor(() => true), clock, random: prng(seed), hash: syncHasher });
    // `first` takes the relay's first copy of every chunk (it has a peer: its requests may be deferred).
    // `starved` then has one peer, which holds nothing: every chunk is deferred to a swarm that can't give it.
    const [first, idle1, starved, idle2] = [swarmOf(1), swarmOf(2), swarmOf(3), swarmOf(4)];
    const up = () => new Uplink(clock, 1_000);
    for (const [a, b, ids] of [
      [first, idle1, ['first', 'idle1']],
      [starved, idle2, ['starved', 'idle2']],
    ] as const) {
      const [ab, ba] = SimLink.pair(clock, { id: ids[1], uplink: up() }, { id: ids[0], uplink: up() }, 5);
      a.addPeer(ab);
      b.addPeer(ba);
    }
    const firstDone = first.fetch(desc);
    await clock.run(() => false, 500);
    expect((await firstDone).ok).toBe(true);
    const started = clock.now();
    let doneAt = Infinity;
    const result = starved.fetch(desc);
    void result.then(() => (doneAt = clock.now()));
    await clock.run(() => doneAt < Infinity, 60_000);
    expect(same(await result, bytes)).toBe(true);
    expect(relay.starvedSignals).toBe(2); // starved, then (download done) no longer
    expect(relay.deferred).toBeGreaterThan(0);
    // Served within moments of saying so (1.5 s), not by the doubling trickle (1.5 s, 3 s, 6 s … per chunk).
    expect(doneAt - started).toBeLessThan(2_500);
  });

  it('bans a peer that passes on forged releases at once, and one whose releases keep being refused after three', async () => {
    const clock = new VirtualClock();
    const key = await generateSigningKey();
    const built = await Promise.all(
      [1, 2, 3, 4].map(async (seq) => {
        const { signed } = await buildRelease({
          room: 'demo',
          key,
          previous: null,
          slots: { logic: { kind: 'script', bytes: new TextEncoder().encode(`x${seq}`), version: `${seq}` } },
        });
        return { ...(signed as SignedRelease), release: { ...(signed as SignedRelease).release, seq } };
      }),
    );
    for (const verdict of ['forged', 'refused'] as const) {
      const checked: number[] = [];
      const swarm = new Swarm({
        relay: null,
        clock,
        onPeerRelease: async (signed) => {
          checked.push(signed.release.seq);
          return verdict;
        },
      });
      const up = new Uplink(clock, 1_000);
      const [mine, theirs] = SimLink.pair(clock, { id: 'me', uplink: up }, { id: 'junk', uplink: up }, 5);
      theirs.attach({ message: () => {}, drain: () => {}, close: () => {} });
      swarm.addPeer(mine);
      for (const signed of built) theirs.send(encodePeerMessage({ type: PeerMessageType.release, signed }));
      await clock.run(() => false, clock.now() + 1_000);
      expect(swarm.canAdd('junk')).toBe(false);
      // Checked one by one until the sender is banned; none after that.
      expect(checked).toEqual(verdict === 'forged' ? [1] : [1, 2, 3]);
    }
  });
});
