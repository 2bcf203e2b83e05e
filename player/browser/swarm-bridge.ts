/**
 * The swarm across the patch client's worker boundary. The client runs in a dedicated worker
 * (`client.worker.ts`); the swarm (`PlayerSwarm`: PeerJS on WebRTC, which dedicated workers lack)
 * runs on the page. Both plug into each other through the small surfaces they already have, proxied
 * both ways (Comlink on a `MessagePort` in the browser; any pair of objects with these methods in a
 * test):
 *
 * - the worker's {@link WorkerSwarmLink} is the client's `blobSource` wrapper: a blob the relay pushed
 *   with its release, or any blob while the swarm would ask the relay alone anyway
 *   ({@link SwarmView.relayOnly}), is fetched in the worker without a word to the page; any other goes
 *   to the page's swarm ({@link PageSwarm.swarmFetch}), with progress and abort carried across;
 *   `hold` and `announce` go to the page;
 * - the page's {@link pageSwarm} hands the swarm a {@link RelayChunks} whose chunk requests, starvation
 *   news and whole-blob fetches run on the worker's relay connection ({@link WorkerRelay});
 * - the page pushes a {@link SwarmView} (our PeerJS id for `hello`, links, bytes from peers) whenever
 *   the swarm changes and with every fetch's answer, so the worker's `hello`, heartbeats and
 *   `status()` read it synchronously, as before.
 *
 * Bytes the worker hands the page (`hold`, `relayFetch`) are copied in the worker and the copy
 * transferred: the worker's cache may keep its own, and the page's main thread, which draws the
 * frames, never copies them (a structured clone of a 4 MB texture cost the page a 26 ms task right
 * after the texture showed). Bytes from the page's swarm cross by structured clone: its swarm keeps
 * them to serve other peers.
 */
import { transfer } from 'comlink';
import type { BlobDescriptor } from '../../protocol/blobs.ts';
import { ErrorCode, fail, ok, type Result } from '../../protocol/errors.ts';
import type { Message } from '../../protocol/messages.ts';
import type { SignedRelease } from '../../protocol/release.ts';
import type { PatchClientOptions } from '../core/patch-client.ts';
import type { BlobSource, FetchOptions, RelayAnswer, RelayChunks, Traffic } from '../core/transport.ts';

/** What the page's swarm tells the worker's client: read synchronously there. */
export interface SwarmView {
  /** Our PeerJS id to announce in `hello` (none: withdrawn). */
  readonly peerId: string | undefined;
  /** The swarm would fetch from the relay alone now (no links wanted or up, or it failed). */
  readonly relayOnly: boolean;
  readonly bytesFromPeers: number;
  /** Peers linked now. */
  readonly peers: number;
}

/** The page's side of the swarm, as the worker calls it. */
export interface PageSwarm {
  /** Fetches a blob through the swarm; answers with the swarm's view after it. */
  swarmFetch(id: number, desc: BlobDescriptor): Promise<{ result: Result<Uint8Array>; view: SwarmView }>;
  /** Abandons fetch `id` (a newer release superseded the one that needed it). */
  swarmAbort(id: number): void;
  swarmHold(desc: BlobDescriptor, bytes: Uint8Array): void;
  swarmAnnounce(signed: SignedRelease): void;
  /** Relay messages the client doesn't handle itself (`welcome`, `peers`, `blob.defer`). */
  relayMessage(message: Message): void;
}

/** The worker's relay connection, as the page's swarm calls it. */
export interface WorkerRelay {
  relayGetChunk(sha256: string, index: number, mayDefer: boolean): Promise<RelayAnswer>;
  relayStarved(starved: boolean): void;
  /** The relay's own windowed fetch of a whole blob. */
  relayFetch(desc: BlobDescriptor): Promise<Result<Uint8Array>>;
  /** Progress of swarm fetch `id` (verified bytes received, of `total`). */
  fetchProgress(id: number, received: number, total: number): void;
}

/**
 * `wrap` of a copy of `bytes`, marked so that the copy's buffer is transferred when it goes to the
 * page (as a call's argument or an answer; see the file comment): made in the worker, moved, never
 * copied again on the page's main thread.
 */
function handOver<T extends object>(bytes: Uint8Array, wrap: (copy: Uint8Array) => T): T {
  const copy = bytes.slice();
  return transfer(wrap(copy), [copy.buffer]);
}

/** Makes every method's answer a promise (what a Comlink proxy of `T` gives). */
export type Async<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/** A view with no swarm to speak of: the relay alone. */
export const RELAY_ONLY_VIEW: SwarmView = { peerId: undefined, relayOnly: true, bytesFromPeers: 0, peers: 0 };

/** The worker's half: the client's blob source wrapper and the relay as the page's swarm sees it. */
export class WorkerSwarmLink implements WorkerRelay {
  /** The page's latest word (see {@link SwarmView}). */
  view: SwarmView;
  private relay: RelayChunks | null = null;
  private readonly fetches = new Map<number, FetchOptions>();
  private nextId = 1;

  constructor(
    private readonly page: Async<PageSwarm>,
    view: SwarmView = RELAY_ONLY_VIEW,
  ) {
    this.view = view;
  }

  /** The patch client options that plug the page's swarm in (spread into `new PatchClient`). */
  clientOptions(): Required<Pick<PatchClientOptions, 'blobSource' | 'onRelayMessage' | 'peerId'>> {
    return {
      blobSource: (relay) => this.source(relay),
      onRelayMessage: (message) => void this.page.relayMessage(message).catch(() => undefined),
      peerId: () => this.view.peerId,
    };
  }

  private source(relay: RelayChunks): BlobSource {
    this.relay = relay;
    return {
      fetch: (desc, options) => this.fetch(relay, desc, options),
      hold: (desc, bytes) =>
        void this.page
          .swarmHold(
            desc,
            handOver(bytes, (copy) => copy),
          )
          .catch(() => undefined),
      announce: (signed) => void this.page.swarmAnnounce(signed).catch(() => undefined),
      traffic: (): Traffic => ({
        bytesFromRelay: relay.traffic().bytesFromRelay,
        bytesFromPeers: this.view.bytesFromPeers,
        peers: this.view.peers,
      }),
    };
  }

  private async fetch(
    relay: RelayChunks,
    desc: BlobDescriptor,
    options: FetchOptions = {},
  ): Promise<Result<Uint8Array>> {
    // Here already, or the swarm would only ask the same relay: no trip to the page.
    if (relay.hasPushed(desc) || this.view.relayOnly) return relay.fetch(desc, options);
    if (options.signal?.aborted) return fail(ErrorCode.INTERNAL, 'fetch superseded');
    const id = this.nextId++;
    this.fetches.set(id, options);
    const abort = () => void this.page.swarmAbort(id).catch(() => undefined);
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      const { result, view } = await this.page.swarmFetch(id, desc);
      this.view = view;
      return result;
    } catch (error) {
      return fail(ErrorCode.INTERNAL, `the page's swarm failed: ${String(error)}`);
    } finally {
      this.fetches.delete(id);
      options.signal?.removeEventListener('abort', abort);
    }
  }

  relayGetChunk(sha256: string, index: number, mayDefer: boolean): Promise<RelayAnswer> {
    if (!this.relay) return Promise.resolve({ kind: 'error', message: 'no relay connection yet' });
    return this.relay.getChunk(sha256, index, mayDefer);
  }

  relayStarved(starved: boolean): void {
    this.relay?.starved?.(starved);
  }

  async relayFetch(desc: BlobDescriptor): Promise<Result<Uint8Array>> {
    if (!this.relay) return fail(ErrorCode.INTERNAL, 'no relay connection yet');
    const result = await this.relay.fetch(desc);
    return result.ok ? handOver(result.value, ok) : result;
  }

  fetchProgress(id: number, received: number, total: number): void {
    this.fetches.get(id)?.onProgress?.(received, total);
  }
}

/** What {@link pageSwarm} needs of the page's swarm (`PlayerSwarm` has it all). */
export interface SwarmOnPage {
  clientOptions(): Required<Pick<PatchClientOptions, 'blobSource' | 'onRelayMessage' | 'peerId'>>;
  /** The swarm would ask the relay alone now. */
  relayOnly(): boolean;
  stats(): { readonly bytesFromPeers: number } | null;
  info(): { readonly peers: readonly string[] };
}

/**
 * The page's half: the swarm's blob source, made once over the worker's relay; the returned
 * {@link PageSwarm} is what the worker calls, `view()` what the page pushes to it (`changed` is
 * called when it may have changed: after each relay message the swarm read).
 */
export function pageSwarm(
  swarm: SwarmOnPage,
  worker: Async<WorkerRelay>,
  bytesFromRelay: () => number,
  changed: () => void,
): { readonly side: PageSwarm; view(): SwarmView } {
  const options = swarm.clientOptions();
  const relay: RelayChunks = {
    getChunk: (sha256, index, mayDefer) =>
      worker
        .relayGetChunk(sha256, index, mayDefer)
        .catch((error: unknown): RelayAnswer => ({ kind: 'error', message: String(error) })),
    starved: (starved) => void worker.relayStarved(starved).catch(() => undefined),
    fetch: (desc) =>
      worker.relayFetch(desc).catch((error: unknown) => fail(ErrorCode.INTERNAL, String(error))),
    // The worker takes a pushed blob itself and never asks the page for it.
    hasPushed: () => false,
    traffic: () => ({ bytesFromRelay: bytesFromRelay(), bytesFromPeers: 0, peers: 0 }),
  };
  const source = options.blobSource(relay);
  const aborts = new Map<number, AbortController>();
  const view = (): SwarmView => ({
    peerId: options.peerId(),
    relayOnly: swarm.relayOnly(),
    bytesFromPeers: swarm.stats()?.bytesFromPeers ?? 0,
    peers: swarm.info().peers.length,
  });
  const side: PageSwarm = {
    async swarmFetch(id, desc) {
      const abort = new AbortController();
      aborts.set(id, abort);
      try {
        const result = await source.fetch(desc, {
          signal: abort.signal,
          onProgress: (received, total) =>
            void worker.fetchProgress(id, received, total).catch(() => undefined),
        });
        return { result, view: view() };
      } finally {
        aborts.delete(id);
      }
    },
    swarmAbort: (id) => aborts.get(id)?.abort(),
    swarmHold: (desc, bytes) => source.hold?.(desc, bytes),
    swarmAnnounce: (signed) => source.announce?.(signed),
    relayMessage: (message) => {
      options.onRelayMessage(message);
      changed(); // (a `blob.defer` or `welcome.defers` makes links wanted)
    },
  };
  return { side, view };
}
