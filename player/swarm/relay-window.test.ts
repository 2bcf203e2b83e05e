// @vitest-environment node
// How the swarm uses a relay that serves at once (issue 14, "a swarm that is never slower"): a full
// relay window until the relay defers, `have`s per chunk only once it does, and no chunk asked again
// while its hash is being checked. A scripted relay answers each request when the test says so.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeBlob, type BlobDescriptor, type Hasher } from '../../protocol/blobs.ts';
import {
  encodeBitfield,
  parsePeerMessage,
  PeerMessageType,
  type PeerMessage,
} from '../../protocol/swarm/wire.ts';
import { VirtualClock } from '../../bench/swarm/sim-net.ts';
import type { RelayAnswer, RelaySource } from '../core/transport.ts';
import type { PeerLink } from './peer.ts';
import { Swarm } from './swarm.ts';

const CHUNK = 1024;
const CHUNKS = 40;
const WINDOW = 16; // the default relay window (`relayInflightAlone`)

interface Ask {
  readonly index: number;
  /** The request let the relay defer it (we have peers and are not starved). */
  readonly mayDefer: boolean;
  readonly answer: (a: RelayAnswer) => void;
}

/** A relay whose every answer the test gives; `asks` lists every request in order. */
function scriptedRelay(): RelaySource & { asks: Ask[]; open: Set<Ask> } {
  const asks: Ask[] = [];
  const open = new Set<Ask>();
  return {
    asks,
    open,
    starved: () => {},
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
}

/** A peer that holds nothing and records what we tell it. */
function listeningPeer(id: string): PeerLink & { heard: PeerMessage[] } {
  const heard: PeerMessage[] = [];
  return {
    id,
    heard,
    send: (data) => {
      if (typeof data !== 'string') return;
      const parsed = parsePeerMessage(data);
      if (parsed.ok) heard.push(parsed.value);
    },
    bufferedAmount: () => 0,
    close: () => {},
    attach: () => {},
  };
}

const hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const settle = () => new Promise((r) => setImmediate(r));

async function setup(hash: Hasher = async (b) => hex(b)) {
  const bytes = Uint8Array.from({ length: CHUNK * CHUNKS }, (_, i) => (i * 7919) % 251);
  const desc: BlobDescriptor = await describeBlob(bytes, CHUNK);
  const relay = scriptedRelay();
  const peer = listeningPeer('idle');
  // Virtual time that moves only when the test says: no starvation, no timeouts, only what it does.
  const clock = new VirtualClock();
  const swarm = new Swarm({ relay, clock, hash, random: () => 0.5 });
  swarm.addPeer(peer);
  const chunk = (i: number): RelayAnswer => ({
    kind: 'chunk',
    bytes: bytes.slice(i * CHUNK, (i + 1) * CHUNK),
  });
  const result = swarm.fetch(desc);
  await settle();
  return { bytes, desc, relay, peer, swarm, chunk, result, clock };
}

/** Serves every open request, oldest first, until the fetch ends. */
async function serveAll(relay: ReturnType<typeof scriptedRelay>, chunk: (i: number) => RelayAnswer) {
  for (let rounds = 0; relay.open.size > 0 && rounds < 1000; rounds++) {
    const [ask] = relay.open;
    ask!.answer(chunk(ask!.index));
    await settle();
  }
}

const haves = (peer: { heard: PeerMessage[] }) => peer.heard.filter((m) => m.type === PeerMessageType.have);

describe('swarm and a relay that serves at once', () => {
  it('keeps a full relay window while the relay serves, and asks little once it defers', async () => {
    const { relay, chunk, result } = await setup();
    // We have a peer, but the relay has not deferred anything: as many requests as with no peers.
    expect(relay.open.size).toBe(WINDOW);
    relay.asks[0]!.answer(chunk(relay.asks[0]!.index));
    await settle();
    expect(relay.open.size).toBe(WINDOW);
    // The relay defers one: it is the bottleneck; no new request until fewer than two are open.
    relay.asks[1]!.answer({ kind: 'deferred', retryAfterMs: 1000 });
    await settle();
    expect(relay.open.size).toBe(WINDOW - 1);
    const asked = relay.asks.length;
    for (const ask of [...relay.open].slice(0, 5)) ask.answer({ kind: 'deferred', retryAfterMs: 1000 });
    await settle();
    expect(relay.asks.length).toBe(asked);
    // It serves again: a full window again.
    const [next] = relay.open;
    next!.answer(chunk(next!.index));
    await settle();
    expect(relay.open.size).toBe(WINDOW);
    await serveAll(relay, chunk);
    void result;
  });

  it('tells peers one "have all" a quiet moment after the end while the relay serves, not a have per chunk', async () => {
    const { bytes, peer, relay, chunk, result, clock } = await setup();
    await serveAll(relay, chunk);
    const got = await result;
    expect(got.ok && Buffer.from(got.value).equals(Buffer.from(bytes))).toBe(true);
    // Not during the transfer: peers get the patch from the relay as fast as from us.
    expect(haves(peer)).toEqual([]);
    await clock.run(() => haves(peer).length > 0, 1600);
    expect(clock.now()).toBeGreaterThanOrEqual(1000);
    expect(haves(peer)).toEqual([expect.objectContaining({ index: 0, all: true })]);
    await clock.run(() => false, 5000);
    expect(haves(peer)).toHaveLength(1);
  });

  it('asks the relay, not a peer, while it serves; tells a peer that fetches through the swarm at once', async () => {
    const { desc, peer, relay, chunk, result, swarm } = await setup();
    const holder = listeningPeer('holder');
    const fetching = listeningPeer('fetching');
    let toSwarm: ((data: string) => void) | null = null;
    let fromHolder: ((data: string) => void) | null = null;
    fetching.attach = (h) => (toSwarm = h.message);
    holder.attach = (h) => (fromHolder = h.message);
    swarm.addPeer(fetching);
    swarm.addPeer(holder);
    fromHolder!(JSON.stringify({ type: PeerMessageType.have, sha256: desc.sha256, index: 0, all: true }));
    await serveAll(relay, chunk);
    await result;
    // The relay served at once: the peer holding the whole blob was never asked.
    expect(holder.heard.filter((m) => m.type === PeerMessageType.get)).toEqual([]);
    expect(relay.asks).toHaveLength(CHUNKS);
    expect(haves(fetching)).toEqual([]);
    // A `have` of one chunk: that peer's download goes through the swarm.
    toSwarm!(JSON.stringify({ type: PeerMessageType.have, sha256: desc.sha256, index: 3 }));
    expect(haves(fetching)).toEqual([expect.objectContaining({ all: true })]);
    void peer;
    expect(haves(holder)).toEqual([]);
  });

  it('tells peers every chunk it holds once the relay defers, and every chunk gained after', async () => {
    const { desc, peer, relay, chunk, result } = await setup();
    const hellos = () => peer.heard.filter((m) => m.type === PeerMessageType.hello);
    expect(hellos()).toHaveLength(1); // the link's own
    const served = [...relay.open].slice(0, 3);
    for (const ask of served) ask.answer(chunk(ask.index));
    await settle();
    expect(haves(peer)).toEqual([]);
    const [deferred] = relay.open;
    deferred!.answer({ kind: 'deferred', retryAfterMs: 1 });
    await settle();
    // The three chunks it held, told at once in a hello again the moment the relay starts deferring.
    const again = hellos()[1];
    expect(again?.type === PeerMessageType.hello && again.have[desc.sha256]).toBe(
      encodeBitfield(
        served.map((a) => a.index),
        CHUNKS,
      ),
    );
    const [next] = relay.open;
    next!.answer(chunk(next!.index));
    await settle();
    expect(haves(peer).map((m) => m.index)).toEqual([next!.index]);
    expect(haves(peer).some((m) => m.type === PeerMessageType.have && m.all)).toBe(false);
    void result;
  });

  it('tells a chunk it gains only to the peers that have not said they hold it', async () => {
    const { desc, peer, relay, chunk, result, swarm } = await setup();
    let say: ((data: string) => void) | null = null;
    const holder = listeningPeer('holder');
    holder.attach = (h) => (say = h.message);
    swarm.addPeer(holder);
    const [deferred] = relay.open;
    deferred!.answer({ kind: 'deferred', retryAfterMs: 1 });
    await settle();
    // The relay defers: the swarm carries the blob, and every chunk gained is news — but not to a
    // peer that holds it (it will never ask us for it; the message would cost both ends for nothing).
    const [next, later] = relay.open;
    say!(JSON.stringify({ type: PeerMessageType.have, sha256: desc.sha256, index: next!.index }));
    next!.answer(chunk(next!.index));
    later!.answer(chunk(later!.index));
    await settle();
    expect(haves(peer).map((m) => m.index)).toEqual([next!.index, later!.index]);
    expect(haves(holder).map((m) => m.index)).toEqual([later!.index]);
    void result;
  });

  it('a peer fetching through the swarm (hello again) makes it tell what it gains, and nothing before', async () => {
    const { desc, peer, relay, chunk, result, swarm } = await setup();
    let say: ((data: string) => void) | null = null;
    const fetching = listeningPeer('fetching');
    fetching.attach = (h) => (say = h.message);
    swarm.addPeer(fetching);
    say!(JSON.stringify({ type: PeerMessageType.hello, seq: 0, have: {} }));
    const [first] = relay.open;
    first!.answer(chunk(first!.index));
    await settle();
    expect(haves(fetching)).toEqual([]);
    // Its hello again lists the blob (holding none of it): it is deferred to the swarm for it.
    say!(
      JSON.stringify({
        type: PeerMessageType.hello,
        seq: 0,
        have: { [desc.sha256]: encodeBitfield([], CHUNKS) },
      }),
    );
    const [next] = relay.open;
    next!.answer(chunk(next!.index));
    await settle();
    expect(haves(fetching).map((m) => m.index)).toEqual([next!.index]);
    expect(haves(peer).map((m) => m.index)).toEqual([next!.index]);
    void result;
  });

  it('does not ask again for a chunk whose hash is being checked', async () => {
    // Hash checks finish only when the test lets them.
    const gates: (() => void)[] = [];
    const slowHash: Hasher = (b) => new Promise((r) => gates.push(() => r(hex(b))));
    const { relay, chunk, result } = await setup(slowHash);
    const first = [...relay.open].slice(0, 4);
    for (const ask of first) ask.answer(chunk(ask.index));
    await settle();
    expect(gates.length).toBe(4);
    // Another request fails: the swarm looks for work while the four are still being checked.
    const [failed] = relay.open;
    failed!.answer({ kind: 'error', message: 'try later' });
    await settle();
    expect(relay.open.size).toBe(WINDOW);
    const unique = () => new Set(relay.asks.map((a) => a.index)).size === relay.asks.length;
    expect(unique()).toBe(true);
    for (const open of gates.splice(0)) open();
    await settle();
    for (let rounds = 0; relay.open.size > 0 && rounds < 1000; rounds++) {
      const [ask] = relay.open;
      ask!.answer(chunk(ask!.index));
      await settle();
      for (const open of gates.splice(0)) open();
      await settle();
    }
    // Every chunk asked once (the failed one waits for its retry, on a clock that never moves).
    expect(unique()).toBe(true);
    expect(relay.asks.length).toBe(CHUNKS);
    void result;
  });

  it('asks the relay a starved window, not a full one, when its peers give it nothing while the relay defers', async () => {
    const { relay, chunk, result, clock } = await setup();
    // The relay defers everything asked: it is the bottleneck; our one peer holds nothing.
    const deferAll = async () => {
      for (const ask of [...relay.open]) {
        if (ask.mayDefer) ask.answer({ kind: 'deferred', retryAfterMs: 100 });
      }
      await settle();
    };
    await deferAll();
    // Nothing from peers for `starvedAfterMs` (1.5 s): starved. The relay may not defer us now, and
    // serves whatever its load — so we ask it two chunks at a time (`relayInflightStarved`), a rescue
    // while peers catch up, not a copy of the whole blob out of an egress it is short of.
    await clock.run(() => [...relay.open].some((a) => !a.mayDefer), 3000);
    await deferAll();
    let served = 0;
    for (let round = 0; round < 12; round++) {
      const open = [...relay.open].filter((a) => !a.mayDefer);
      expect(open.length).toBeGreaterThan(0);
      expect(open.length).toBeLessThanOrEqual(2);
      // Serving a request it could not defer says nothing of the relay's room: the window stays narrow.
      for (const ask of open) ask.answer(chunk(ask.index));
      served += open.length;
      await settle();
    }
    expect(served).toBeGreaterThanOrEqual(12);
    // The rest: serve whatever is asked, letting the deferred chunks' back-off pass.
    let done = false;
    void result.then(() => (done = true));
    for (let round = 0; !done && round < 100; round++) {
      await serveAll(relay, chunk);
      await clock.run(() => relay.open.size > 0, clock.now() + 500);
    }
    expect((await result).ok).toBe(true);
  });
});
