// @vitest-environment node
/**
 * The swarm across the worker boundary (`swarm-bridge.ts`), over real `MessageChannel`s and Comlink
 * as the page and the client's worker use it: the worker's blob source sends a blob to the page's
 * swarm unless the relay pushed it or the swarm would ask the relay alone; the page's swarm gets its
 * chunks from the worker's relay; progress, abort, hold, announce, relay messages and the swarm's
 * view cross as they should.
 */
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { expose, wrap, type Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { BlobDescriptor } from '../../protocol/blobs.ts';
import { ErrorCode, fail, ok, type Result } from '../../protocol/errors.ts';
import { MessageType, type Message } from '../../protocol/messages.ts';
import type { SignedRelease } from '../../protocol/release.ts';
import type { BlobSource, FetchOptions, RelayAnswer, RelayChunks } from '../core/transport.ts';
import {
  pageSwarm,
  WorkerSwarmLink,
  type PageSwarm,
  type SwarmOnPage,
  type WorkerRelay,
} from './swarm-bridge.ts';

const desc = (sha256: string, chunks = 2): BlobDescriptor => ({
  sha256,
  size: chunks * 4,
  chunkSize: 4,
  chunks: Array.from({ length: chunks }, (_, i) => `${sha256}-${i}`),
});

/** The worker's relay: chunk i of any blob is four bytes of value i+1. */
class FakeRelay implements RelayChunks {
  readonly asked: string[] = [];
  readonly fetched: string[] = [];
  starvedSaid: boolean[] = [];
  pushed = new Set<string>();
  async getChunk(sha256: string, index: number): Promise<RelayAnswer> {
    this.asked.push(`${sha256}:${index}`);
    return { kind: 'chunk', bytes: new Uint8Array(4).fill(index + 1) };
  }
  starved(starved: boolean): void {
    this.starvedSaid.push(starved);
  }
  async fetch(d: BlobDescriptor): Promise<Result<Uint8Array>> {
    this.fetched.push(d.sha256);
    return ok(new Uint8Array(d.size).fill(9));
  }
  hasPushed(d: BlobDescriptor): boolean {
    return this.pushed.has(d.sha256);
  }
  traffic() {
    return { bytesFromRelay: 100, bytesFromPeers: 0, peers: 0 };
  }
}

/** The page's swarm: fetches chunk by chunk from the relay it was given (waiting on `gate` first). */
class FakeSwarm implements SwarmOnPage {
  relayOnlyNow = false;
  gate: Promise<void> = Promise.resolve();
  readonly held: string[] = [];
  readonly announced: number[] = [];
  readonly messages: string[] = [];
  bytesFromPeers = 0;
  relay: RelayChunks | null = null;
  clientOptions() {
    return {
      blobSource: (relay: RelayChunks): BlobSource => {
        this.relay = relay;
        return {
          fetch: (d: BlobDescriptor, options?: FetchOptions) => this.fetch(relay, d, options),
          hold: (d) => void this.held.push(d.sha256),
          announce: (signed) => void this.announced.push(signed.release.seq),
          traffic: () => ({ bytesFromRelay: 0, bytesFromPeers: 0, peers: 0 }),
        };
      },
      onRelayMessage: (message: Message) => void this.messages.push(message.type),
      peerId: () => 'pc-page',
    };
  }
  private async fetch(relay: RelayChunks, d: BlobDescriptor, options: FetchOptions = {}) {
    await this.gate;
    if (options.signal?.aborted) return fail(ErrorCode.INTERNAL, 'aborted');
    relay.starved?.(true);
    const out = new Uint8Array(d.size);
    for (let i = 0; i < d.chunks.length; i++) {
      const answer = await relay.getChunk(d.sha256, i, true);
      if (answer.kind !== 'chunk') return fail(ErrorCode.INTERNAL, 'no chunk');
      out.set(answer.bytes, i * d.chunkSize);
      options.onProgress?.((i + 1) * d.chunkSize, d.size);
    }
    this.bytesFromPeers += 1;
    return ok(out);
  }
  relayOnly(): boolean {
    return this.relayOnlyNow;
  }
  stats() {
    return { bytesFromPeers: this.bytesFromPeers };
  }
  info() {
    return { peers: ['pc-other'] };
  }
}

const ports: { close(): void }[] = [];
afterEach(() => {
  for (const p of ports.splice(0)) p.close();
});

/** The two halves wired through Comlink on two message channels, as in the browser. */
function wired() {
  const toPage = new MessageChannel();
  const toWorker = new MessageChannel();
  ports.push(toPage.port1, toPage.port2, toWorker.port1, toWorker.port2);
  const swarm = new FakeSwarm();
  const page = wrap<PageSwarm>(nodeEndpoint(toPage.port1));
  const link = new WorkerSwarmLink(page, {
    peerId: 'pc-start',
    relayOnly: false,
    bytesFromPeers: 0,
    peers: 0,
  });
  expose(link, nodeEndpoint(toWorker.port2));
  const worker: Remote<WorkerRelay> = wrap<WorkerRelay>(nodeEndpoint(toWorker.port1));
  let changes = 0;
  const half = pageSwarm(
    swarm,
    worker,
    () => 42,
    () => changes++,
  );
  expose(half.side, nodeEndpoint(toPage.port2));
  const relay = new FakeRelay();
  const options = link.clientOptions();
  const source = options.blobSource(relay);
  return { swarm, link, relay, source, options, half, changes: () => changes };
}

describe('the swarm bridge', () => {
  it('sends a blob to the page swarm, whose chunks come from the worker relay, with progress', async () => {
    const { swarm, relay, source, link } = wired();
    const progress: number[] = [];
    const result = await source.fetch(desc('aa'), { onProgress: (received) => progress.push(received) });
    expect(result.ok && Array.from(result.value)).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
    expect(relay.asked).toEqual(['aa:0', 'aa:1']);
    expect(relay.starvedSaid).toEqual([true]);
    expect(relay.fetched).toEqual([]);
    await new Promise((r) => setTimeout(r, 20)); // (progress is one-way: it may trail the answer)
    expect(progress).toEqual([4, 8]);
    expect(swarm.relay).not.toBeNull();
    // The view came back with the answer: our id, the page's links and bytes from peers.
    expect(link.view).toEqual({ peerId: 'pc-page', relayOnly: false, bytesFromPeers: 1, peers: 1 });
    expect(source.traffic()).toEqual({ bytesFromRelay: 100, bytesFromPeers: 1, peers: 1 });
  });

  it('fetches a pushed blob, or any blob while the swarm would ask the relay alone, in the worker', async () => {
    const { relay, source, link } = wired();
    relay.pushed.add('pp');
    expect((await source.fetch(desc('pp'))).ok).toBe(true);
    link.view = { ...link.view, relayOnly: true };
    expect((await source.fetch(desc('qq'))).ok).toBe(true);
    expect(relay.fetched).toEqual(['pp', 'qq']);
    expect(relay.asked).toEqual([]);
  });

  it('carries an abort to the page swarm', async () => {
    const { swarm, source, relay } = wired();
    let open: () => void = () => undefined;
    swarm.gate = new Promise((r) => (open = r));
    const abort = new AbortController();
    const fetching = source.fetch(desc('ab'), { signal: abort.signal });
    await new Promise((r) => setTimeout(r, 20));
    abort.abort();
    await new Promise((r) => setTimeout(r, 20));
    open();
    const result = await fetching;
    expect(result.ok).toBe(false);
    expect(relay.asked).toEqual([]);
  });

  it('passes hold, announce, relay messages and our peer id on', async () => {
    const { swarm, source, options, half, changes } = wired();
    source.hold?.(desc('hh'), new Uint8Array(8));
    source.announce?.({ release: { seq: 7 } } as unknown as SignedRelease);
    options.onRelayMessage({ type: MessageType.peers, peers: ['pc-x'] });
    await new Promise((r) => setTimeout(r, 20));
    expect(swarm.held).toEqual(['hh']);
    expect(swarm.announced).toEqual([7]);
    expect(swarm.messages).toEqual([MessageType.peers]);
    expect(changes()).toBe(1);
    expect(options.peerId()).toBe('pc-start'); // the worker's view until the page pushes one
    expect(half.view().peerId).toBe('pc-page');
  });
});
