/**
 * What the page and the patch client's dedicated worker say to each other (Comlink on the worker's
 * port): the page starts the client with a {@link WorkerClientInit} and its {@link PageSide}; the
 * worker answers to {@link ClientWorkerApi}. See `client.worker.ts` (the worker) and
 * `worker-client.ts` (the page's handle on it).
 */
import type { ConfigObject } from '../../protocol/config.ts';
import type { Result } from '../../protocol/errors.ts';
import type { Message } from '../../protocol/messages.ts';
import type { ConfigSlot, ScriptSlot, SignedRelease, TextureSlot } from '../../protocol/release.ts';
import type { ApplyOutcome, RemovedSlot, SlotChange } from '../core/apply.ts';
import type { PatchEvents } from '../core/events.ts';
import type { DecodedTexels, DecodedTexture } from '../game/texture.ts';
import type { Mail } from './outbox.ts';
import type { PageSwarm, SwarmView, WorkerRelay } from './swarm-bridge.ts';

/** The client's options that cross to the worker (plain data). */
export interface WorkerClientInit {
  readonly room: string;
  readonly publicKey: string | readonly string[];
  readonly server: string;
  readonly servers?: readonly string[];
  readonly platform?: string;
  /**
   * Texture slots the page draws: these are decoded in the worker and the texels or bitmap handed to
   * the page (`decodeTexels`, {@link PageHandlers.texture}); any other texture slot is skipped.
   */
  readonly drawnTextures: readonly string[];
  /** The page's swarm at the start (absent: no swarm, blobs from the relay alone). */
  readonly swarm?: SwarmView;
}

/** The page's slot handlers: what only the page can do (the scene, the logic sandbox). */
export interface PageHandlers {
  script(change: SlotChange<ScriptSlot>, source: string): ApplyOutcome | Promise<ApplyOutcome>;
  /** A texture of a drawn slot, decoded in the worker: the page only uploads it. */
  texture(
    change: SlotChange<TextureSlot>,
    decoded: DecodedTexture | DecodedTexels,
  ): ApplyOutcome | Promise<ApplyOutcome>;
  config(change: SlotChange<ConfigSlot>, value: ConfigObject): ApplyOutcome | Promise<ApplyOutcome>;
  removed(slot: RemovedSlot): void | Promise<void>;
}

/**
 * Everything the worker calls on the page. Each call carries the worker's {@link Mail} (marks and
 * status kept since the last delivery: `outbox.ts`), applied before the call itself.
 */
export interface PageSide extends Partial<PageSwarm> {
  script(change: SlotChange<ScriptSlot>, source: string, mail: Mail): Promise<ApplyOutcome>;
  texture(
    change: SlotChange<TextureSlot>,
    decoded: DecodedTexture | DecodedTexels,
    mail: Mail,
  ): Promise<ApplyOutcome>;
  config(change: SlotChange<ConfigSlot>, value: ConfigObject, mail: Mail): Promise<ApplyOutcome>;
  removed(slot: RemovedSlot, mail: Mail): Promise<void>;
  /** One of the client's events (`shown`, `applied`, `refused`, `connected`, `disconnected`). */
  event(type: keyof PatchEvents, detail: PatchEvents[keyof PatchEvents], mail: Mail): void;
  /** Marks and status with no call to ride with. */
  post(mail: Mail): void;
}

/** Failure options of {@link ClientWorkerApi.reportFailure}. */
export interface FailureOptions {
  readonly transient?: boolean;
}

/** What the worker exposes to the page. */
export interface ClientWorkerApi extends WorkerRelay {
  /**
   * Makes the client (the page's proxied `page` receives its handlers' calls, status and events),
   * boots it from IndexedDB and dials the relay; resolves once the cache is applied.
   */
  start(init: WorkerClientInit, page: PageSide): Promise<void>;
  /** As `PatchClient.offerRelease` (releases peers passed on). */
  offerRelease(candidate: unknown): Promise<Result<SignedRelease>>;
  sendToRelay(message: Message): boolean;
  peerIdChanged(): void;
  /** The page's swarm changed (our PeerJS id, links, bytes from peers). */
  swarmView(view: SwarmView): void;
  /** As `PatchClient.reportFailure`. */
  reportFailure(
    slot: string,
    failedSha256: string,
    error: string,
    nowRunning: string | null,
    options: FailureOptions,
  ): Promise<void>;
  /** Texels the page is done with, transferred back: the next texture's of that size go into them. */
  reuseTexels(buffer: ArrayBuffer): void;
  close(): void;
}
