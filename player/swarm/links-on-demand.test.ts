// @vitest-environment node
// Links on demand (issue 14, "a swarm that is never slower"): a player dials no peer until the relay
// defers a chunk to the swarm (or its welcome says it may: `player-swarm.ts`). Until then it may still be deferred (it asks with `defer`, so the
// relay's `blob.defer` can reach it); once deferred it wants links; its starvation clock starts at
// its first link, not at the first deferral; and a peer that links in the middle of a download and
// lists part of a blob in its first hello is told what we gain. A scripted relay answers when told.
import { createHash } from 'node:crypto';
import type { DataConnection, Peer } from 'peerjs';
import { describe, expect, it } from 'vitest';
import { describeBlob, type BlobDescriptor } from '../../protocol/blobs.ts';
import {
  encodeBitfield,
  parsePeerMessage,
  PeerMessageType,
  type PeerMessage,
} from '../../protocol/swarm/wire.ts';
import { VirtualClock } from '../../bench/swarm/sim-net.ts';
import type { RelayAnswer, RelaySource } from '../core/transport.ts';
import type { PeerLink } from './peer.ts';
import { PeerMesh } from './peerjs.ts';
import { Swarm } from './swarm.ts';

const CHUNK = 1024;
const CHUNKS = 20;

interface Ask {
  readonly index: number;
  readonly mayDefer: boolean;
  readonly answer: (a: RelayAnswer) => void;
}

/** A relay whose every answer the test gives; it records `defer` and `swarm.starved`. */
function scriptedRelay() {
  const asks: Ask[] = [];
  const open = new Set<Ask>();
  const starved: boolean[] = [];
  const relay: RelaySource = {
    starved: (s) => void starved.push(s),
    getChunk: (_sha, index, mayDefer) =>
      new Promise<RelayAnswer>((resolve) => {
        const ask: Ask = {
          index,
          mayDefer,
          answer: (a) => {
            open.delete(ask);
            resolve(a);
          },
        };
        asks.push(ask);
        open.add(ask);
      }),
  };
  return { relay, asks, open, starved };
}

/** A peer that records what we tell it; `say` sends it a message as if from the other side. */
function scriptedPeer(id: string) {
  const heard: PeerMessage[] = [];
  let say: (data: string) => void = () => {};
  const link: PeerLink = {
    id,
    send: (data) => {
      if (typeof data !== 'string') return;
      const parsed = parsePeerMessage(data);
      if (parsed.ok) heard.push(parsed.value);
    },
    bufferedAmount: () => 0,
    close: () => {},
    attach: (h) => (say = h.message),
  };
  return { link, heard, say: (message: object) => say(JSON.stringify(message)) };
}

const settle = () => new Promise((r) => setImmediate(r));
const hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function setup(options: { linking?: boolean } = {}) {
  const bytes = Uint8Array.from({ length: CHUNK * CHUNKS }, (_, i) => (i * 7919) % 251);
  const desc: BlobDescriptor = await describeBlob(bytes, CHUNK);
  const scripted = scriptedRelay();
  const clock = new VirtualClock();
  let wanted = 0;
  const swarm = new Swarm({
    relay: scripted.relay,
    clock,
    hash: async (b) => hex(b),
    random: () => 0.5,
    onPeersWanted: () => void wanted++,
    ...(options.linking ? { linking: () => true } : {}),
  });
  const chunk = (i: number): RelayAnswer => ({
    kind: 'chunk',
    bytes: bytes.slice(i * CHUNK, (i + 1) * CHUNK),
  });
  const result = swarm.fetch(desc);
  await settle();
  return { ...scripted, desc, swarm, clock, chunk, result, wanted: () => wanted };
}

describe('links on demand', () => {
  it('asks with defer before it has a link, and wants links at the first blob.defer, not while the relay serves', async () => {
    const { asks, open, chunk, wanted } = await setup({ linking: true });
    expect(asks.length).toBeGreaterThan(0);
    expect(asks.every((a) => a.mayDefer)).toBe(true);
    for (const ask of [...open].slice(0, 3)) ask.answer(chunk(ask.index));
    await settle();
    expect(wanted()).toBe(0);
    const [deferred] = open;
    deferred!.answer({ kind: 'deferred', retryAfterMs: 1000 });
    await settle();
    expect(wanted()).toBe(1);
    // The relay failing (no answer, no connection) is not a reason to dial: dials go through it.
    const [failed] = open;
    failed!.answer({ kind: 'error', message: 'the relay did not answer' });
    await settle();
    expect(wanted()).toBe(1);
  });

  it('without a way to link and without peers, never asks with defer', async () => {
    const { asks, open, chunk } = await setup();
    for (const ask of [...open].slice(0, 3)) ask.answer(chunk(ask.index));
    await settle();
    expect(asks.length).toBeGreaterThan(3);
    expect(asks.some((a) => a.mayDefer)).toBe(false);
  });

  it('starts the starvation clock at the first link, not at the first deferral', async () => {
    const { open, swarm, clock, starved } = await setup({ linking: true });
    for (const ask of [...open]) ask.answer({ kind: 'deferred', retryAfterMs: 60_000 });
    await settle();
    // Dialling takes a while: no link for 3 s. Not starved: nobody to wait on yet.
    clock.setTimeout(() => {}, 3000);
    await clock.run(() => false, 3000);
    expect(clock.now()).toBe(3000);
    expect(starved).toEqual([]);
    const peer = scriptedPeer('late');
    swarm.addPeer(peer.link);
    peer.say({ type: PeerMessageType.hello, seq: 0, have: {} });
    await settle();
    expect(starved).toEqual([]);
    // Starved only once the link has given nothing for `starvedAfterMs` (1.5 s).
    await clock.run(() => starved.length > 0, 6000);
    expect(starved).toEqual([true]);
    expect(clock.now()).toBeGreaterThanOrEqual(3000 + 1500);
  });

  it('tells a peer whose first hello lists part of a blob what it gains of that blob', async () => {
    const { desc, open, swarm, chunk } = await setup();
    for (const ask of [...open].slice(0, 2)) ask.answer(chunk(ask.index));
    await settle();
    // A player the relay deferred dials us in the middle of our download: its hello lists what it holds.
    const dialler = scriptedPeer('dialler');
    swarm.addPeer(dialler.link);
    dialler.say({
      type: PeerMessageType.hello,
      seq: 0,
      have: { [desc.sha256]: encodeBitfield([7], CHUNKS) },
    });
    await settle();
    const hellos = dialler.heard.filter((m) => m.type === PeerMessageType.hello);
    expect(hellos.length).toBe(2); // the link's own, and again now that the swarm carries the blob
    const [next] = open;
    next!.answer(chunk(next!.index));
    await settle();
    const haves = dialler.heard.filter((m) => m.type === PeerMessageType.have);
    expect(haves.map((m) => m.type === PeerMessageType.have && m.index)).toEqual([next!.index]);
  });
});

/** A PeerJS peer that records dials; connections never open. */
function fakePeer() {
  const dialled: string[] = [];
  const conn = (id: string) =>
    ({
      peer: id,
      open: false,
      handleMessage: async () => {},
      on: () => {},
      close: () => {},
    }) as unknown as DataConnection;
  const peer = {
    id: 'pc-me',
    on: () => peer,
    connect: (id: string) => {
      dialled.push(id);
      return conn(id);
    },
  } as unknown as Peer;
  return { peer, dialled };
}

describe('PeerMesh on demand', () => {
  it('dials nobody and asks the relay for no ids until links are wanted, then dials those offered', async () => {
    const { peer, dialled } = fakePeer();
    const clock = new VirtualClock();
    let requests = 0;
    const swarm = new Swarm({ relay: null, clock });
    const mesh = new PeerMesh(peer, swarm, { eager: false, clock, requestPeers: () => void requests++ });
    mesh.offer(['pc-a', 'pc-b', 'pc-c']);
    await clock.run(() => false, 20_000);
    expect(dialled).toEqual([]);
    expect(requests).toBe(0);
    expect(mesh.dials).toBe(false);
    mesh.want();
    // Half the target at first (everyone dials at once when the relay starts deferring)…
    expect(dialled).toHaveLength(2);
    expect(dialled.every((id) => ['pc-a', 'pc-b', 'pc-c'].includes(id))).toBe(true);
    expect(requests).toBe(1); // fresh ids: the ones offered at join may have left
    mesh.want();
    expect(requests).toBe(1);
    mesh.offer(['pc-d', 'pc-e']);
    expect(dialled).toHaveLength(2);
    // …then the refill tops up to the target (4).
    await clock.run(() => requests > 1, clock.now() + 6000);
    expect(requests).toBe(2);
    mesh.offer(['pc-d', 'pc-e', 'pc-f']);
    expect(dialled).toHaveLength(4);
    mesh.stop();
  });

  it('dials at once when eager (the default)', () => {
    const { peer, dialled } = fakePeer();
    const mesh = new PeerMesh(peer, new Swarm({ relay: null }), { requestPeers: () => {} });
    mesh.offer(['pc-a', 'pc-b']);
    expect(dialled.length).toBe(2);
    mesh.stop();
  });
});
