/**
 * The headless patch client: follows one room through the relay, accepts a release only through the
 * protocol's `acceptRelease` under pinned keys, fetches the blobs it lacks in verified chunks, stores
 * release and blobs in its cache once complete, applies, and acks every slot. It reconnects with
 * exponential backoff and jitter, and starts from its cache, so it keeps its last release while the
 * relay is down. Transport-free: it talks to a {@link Connector}.
 */
import {
  AckStatus,
  ErrorCode,
  MessageType,
  PROTOCOL_VERSION,
  acceptRelease,
  parseConfigBlob,
  parseMessage,
  sha256,
  type AckStatus as Status,
  type DecodedFrame,
  type ErrorCode as Code,
  type Message,
  type Role,
  type SignedRelease,
  type Slot,
  type TrustedKeys,
} from '../../protocol/index.ts';
import type { Channel, Connector } from './channel.ts';
import { MemoryCache, type ClientCache, type Held } from './cache.ts';
import { BlobFetcher, FetchAborted } from './fetcher.ts';
import { checkScript } from '../relay/script.ts';
import type { ClientSwarm } from '../p2p/client-swarm.ts';

/** The outcome of applying one slot. */
export interface SlotOutcome {
  readonly status: Status;
  readonly error?: string;
}

/** Applies a verified, complete release; returns the outcome per slot. */
export type Applier = (held: Held) => Promise<Record<string, SlotOutcome>>;

/** What the client reports. */
export type ClientEvent =
  | { readonly type: 'connected'; readonly clientId: string; readonly relaySeq: number }
  | {
      readonly type: 'applied';
      readonly seq: number;
      readonly version: string;
      readonly from: 'cache' | 'relay';
    }
  | { readonly type: 'refused'; readonly code: Code; readonly message: string }
  | { readonly type: 'relay-error'; readonly code: Code; readonly message: string; readonly fatal: boolean }
  | { readonly type: 'disconnected'; readonly reason: string; readonly retryInMs: number }
  | { readonly type: 'progress'; readonly sha256: string; readonly received: number; readonly total: number };

/** Options of {@link PatchClient}. */
export interface PatchClientOptions {
  readonly room: string;
  /** Keys the client trusts (pinned): key id → public key. */
  readonly trustedKeys: TrustedKeys;
  readonly connect: Connector;
  readonly clientId: string;
  readonly role?: Role;
  readonly platform?: string;
  readonly cache?: ClientCache;
  readonly apply?: Applier;
  readonly onEvent?: (event: ClientEvent) => void;
  /** Fetch blobs through a swarm of peers first (`patchcast play --p2p`); the relay alone without. */
  readonly swarm?: ClientSwarm;
  /** Chunks asked for per `blob.get` (default 64). */
  readonly chunkWindow?: number;
  /** Chunks of one blob requested and not yet received (default 256). */
  readonly maxInflightChunks?: number;
  /** A blob fetch with no chunk for this long gives up the connection (default 15 s). */
  readonly fetchStallMs?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  readonly random?: () => number;
  readonly now?: () => number;
}

/**
 * Backoff before reconnect attempt `n` (1-based): exponential from `min` to `max`, with "equal
 * jitter" (half fixed, half random) so a crowd of clients does not come back in step.
 */
export function backoffDelay(attempt: number, min: number, max: number, random: () => number): number {
  const base = Math.min(max, min * 2 ** Math.max(0, attempt - 1));
  return Math.round(base / 2 + (base / 2) * random());
}

/** Deterministic rollout bucket 0–99 of a client for a blob: the same client stays in or out. */
export async function rolloutBucket(clientId: string, sha: string): Promise<number> {
  const digest = await sha256(new TextEncoder().encode(`${clientId}:${sha}`));
  return (((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0) % 100;
}

/** Why a script blob is not usable text, or null when it is (the relay's own check). */
function checkScriptText(bytes: Uint8Array): string | null {
  const checked = checkScript(bytes);
  return checked.ok ? null : checked.message;
}

/** The default applier of a headless client: checks configs and scripts; textures are kept as bytes. */
export const checkingApplier: Applier = async (held) => {
  const out: Record<string, SlotOutcome> = {};
  for (const [name, slot] of Object.entries(held.signed.release.slots)) {
    const bytes = held.blobs.get(slot.sha256);
    if (!bytes) {
      out[name] = { status: AckStatus.failed, error: 'blob missing' };
      continue;
    }
    if (slot.kind === 'config') {
      const parsed = parseConfigBlob(name, bytes);
      out[name] = parsed.ok
        ? { status: AckStatus.applied }
        : { status: AckStatus.failed, error: parsed.message };
    } else if (slot.kind === 'script') {
      const checked = checkScriptText(bytes);
      out[name] =
        checked === null ? { status: AckStatus.applied } : { status: AckStatus.failed, error: checked };
    } else {
      out[name] = { status: AckStatus.applied };
    }
  }
  return out;
};

/** The client. */
export class PatchClient {
  private channel: Channel | null = null;
  private held: Held | null = null;
  private stopped = true;
  private attempt = 0;
  private generation = 0;
  /** Seq of the release being fetched and applied (0 when none). */
  private loadingSeq = 0;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private stallTimer: ReturnType<typeof setInterval> | undefined;
  private readonly fetcher: BlobFetcher;
  private readonly waiters = new Set<{ seq: number; resolve: () => void }>();
  private readonly cache: ClientCache;
  private readonly apply: Applier;
  private readonly random: () => number;
  private readonly now: () => number;
  /** The id the relay gave this client (it may differ from the one asked for). */
  clientId: string;
  /** Bytes of blob chunks received from the relay. */
  bytesFromRelay = 0;

  constructor(private readonly options: PatchClientOptions) {
    this.cache = options.cache ?? new MemoryCache();
    this.apply = options.apply ?? checkingApplier;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.clientId = options.clientId;
    this.fetcher = new BlobFetcher({
      send: (message) => this.send(message),
      onProgress: (sha256, received, total) => this.emit({ type: 'progress', sha256, received, total }),
      ...(options.chunkWindow === undefined ? {} : { chunkWindow: options.chunkWindow }),
      ...(options.maxInflightChunks === undefined ? {} : { maxInflightChunks: options.maxInflightChunks }),
    });
  }

  /** The release the client holds, or null. */
  get release(): SignedRelease | null {
    return this.held?.signed ?? null;
  }

  /** The seq held (0 for none). */
  get seq(): number {
    return this.held?.signed.release.seq ?? 0;
  }

  /** True while a channel is open. */
  get connected(): boolean {
    return this.channel !== null;
  }

  private emit(event: ClientEvent): void {
    this.options.onEvent?.(event);
  }

  /** Loads the cache (applying what it holds), then connects and keeps connected until `stop()`. */
  async start(): Promise<void> {
    this.stopped = false;
    const cached = await this.cache.load(this.options.trustedKeys);
    if (cached && cached.signed.release.room === this.options.room) {
      this.held = cached;
      this.options.swarm?.hold(cached.signed, cached.blobs);
      await this.apply(cached);
      this.emit({ type: 'applied', seq: this.seq, version: cached.signed.release.version, from: 'cache' });
      this.wake();
    }
    this.stallTimer = setInterval(() => this.checkStalls(), 1000);
    this.stallTimer.unref();
    void this.connect();
  }

  /** Resolves once the client holds `seq` or more. */
  waitForSeq(seq: number, timeoutMs = 10_000): Promise<void> {
    if (this.seq >= seq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        seq,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out waiting for seq ${seq} (holding ${this.seq})`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) {
      if (this.seq >= w.seq) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }

  /** Disconnects for good. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    clearInterval(this.stallTimer);
    this.fetcher.abort('stopped');
    this.options.swarm?.stop();
    this.channel?.close();
    this.channel = null;
  }

  /** A release from elsewhere (a swarm peer): checked and applied exactly like one from the relay. */
  offerRelease(candidate: unknown): void {
    this.take(candidate);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.attempt++;
    const opened: { channel: Channel | null } = { channel: null };
    let channel: Channel;
    try {
      channel = await this.options.connect({
        onFrame: (frame) => this.onFrame(frame),
        onClose: (reason) => this.onClose(opened.channel, reason),
      });
      opened.channel = channel;
    } catch (error) {
      return this.scheduleReconnect(error instanceof Error ? error.message : String(error));
    }
    if (this.stopped) return channel.close();
    this.channel = channel;
    this.options.swarm?.useRelay((message) => {
      channel.send(message);
      return this.channel === channel;
    });
    const slots = this.held
      ? Object.fromEntries(
          Object.entries(this.held.signed.release.slots).map(([n, s]) => [
            n,
            { version: s.version, sha256: s.sha256 },
          ]),
        )
      : undefined;
    channel.send({
      type: MessageType.hello,
      v: PROTOCOL_VERSION,
      room: this.options.room,
      role: this.options.role ?? 'player',
      clientId: this.options.clientId,
      ...(this.options.platform === undefined ? {} : { platform: this.options.platform }),
      seq: this.seq,
      ...(slots ? { slots } : {}),
      ...(this.options.swarm ? { peerId: this.options.swarm.peerId } : {}),
    });
  }

  private onClose(channel: Channel | null, reason: string): void {
    if (channel === null || this.channel !== channel) return;
    this.channel = null;
    clearInterval(this.heartbeat);
    this.options.swarm?.useRelay(null);
    this.fetcher.abort(reason);
    this.scheduleReconnect(reason);
  }

  private scheduleReconnect(reason: string): void {
    if (this.stopped) return;
    const delay = backoffDelay(
      this.attempt,
      this.options.backoffMinMs ?? 250,
      this.options.backoffMaxMs ?? 10_000,
      this.random,
    );
    this.emit({ type: 'disconnected', reason, retryInMs: delay });
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.connect(), delay);
  }

  private send(message: Message): void {
    this.channel?.send(message);
  }

  private onFrame(frame: DecodedFrame): void {
    if (!frame.ok) return;
    const parsed = parseMessage(frame.value);
    if (!parsed.ok) return;
    const msg = parsed.value;
    if (this.options.swarm?.onRelayMessage(msg)) return;
    switch (msg.type) {
      case MessageType.welcome: {
        this.attempt = 0;
        this.clientId = msg.clientId;
        clearInterval(this.heartbeat);
        this.heartbeat = setInterval(
          () =>
            this.send({
              type: MessageType.heartbeat,
              t: this.now(),
              traffic: this.traffic(),
            }),
          msg.heartbeatMs,
        );
        this.heartbeat.unref();
        this.emit({ type: 'connected', clientId: msg.clientId, relaySeq: msg.seq });
        return;
      }
      case MessageType.release:
        this.take(msg.signed);
        return;
      case MessageType.blob: {
        const bytes = new Uint8Array(Buffer.from(msg.data, 'base64'));
        this.bytesFromRelay += bytes.length;
        return this.fetcher.chunk(msg.sha256, msg.index, bytes);
      }
      case MessageType.error:
        this.emit({ type: 'relay-error', code: msg.code, message: msg.message, fatal: msg.fatal ?? false });
        return;
      default:
        return;
    }
  }

  /** Handles a release from anywhere; whatever goes wrong is reported, never thrown at the caller. */
  private take(candidate: unknown): void {
    void this.onRelease(candidate).catch((error: unknown) => {
      if (error instanceof FetchAborted) return;
      const message = error instanceof Error ? error.message : String(error);
      this.emit({ type: 'refused', code: ErrorCode.INTERNAL, message: `release not applied: ${message}` });
    });
  }

  private async onRelease(candidate: unknown): Promise<void> {
    const accepted = await acceptRelease({
      candidate,
      room: this.options.room,
      trustedKeys: this.options.trustedKeys,
      current: this.held?.signed.release ?? null,
      now: this.now(),
    });
    if (!accepted.ok) {
      // The same release offered again (by the relay and by peers) is not news.
      if (accepted.code !== ErrorCode.STALE_SEQ) {
        this.emit({ type: 'refused', code: accepted.code, message: accepted.message });
      }
      return;
    }
    const signed = accepted.value;
    // Only an accepted release that is newer than the one loading supersedes it: a refused or an
    // older candidate must never cancel a good download.
    if (signed.release.seq <= this.loadingSeq) return;
    const generation = ++this.generation;
    this.loadingSeq = signed.release.seq;
    try {
      await this.load(signed, generation);
    } finally {
      if (generation === this.generation) this.loadingSeq = 0;
    }
  }

  private async load(signed: SignedRelease, generation: number): Promise<void> {
    const slots = Object.entries(signed.release.slots);
    let blobs: Map<string, Uint8Array>;
    try {
      const fetched = await Promise.all(
        slots.map(async ([, slot]) => {
          const have = this.held?.blobs.get(slot.sha256) ?? (await this.cache.blob(slot));
          return [slot.sha256, have ?? (await this.fetchBlob(slot))] as const;
        }),
      );
      blobs = new Map(fetched);
    } catch (error) {
      if (error instanceof FetchAborted) return;
      // A blob that does not verify: the release is not applied; say so per slot.
      const message = error instanceof Error ? error.message : String(error);
      for (const [name, slot] of slots)
        this.ack(signed, name, slot, { status: AckStatus.failed, error: message });
      return;
    }
    if (generation !== this.generation) return;
    const held: Held = { signed, blobs };
    await this.cache.save(held);
    this.held = held;
    this.options.swarm?.hold(signed, blobs);
    for (const [, slot] of slots) this.fetcher.forget(slot.sha256);
    const outcomes = await this.apply(held);
    for (const [name, slot] of slots) {
      let outcome = outcomes[name] ?? { status: AckStatus.applied };
      const percent = slot.rollout?.percent;
      if (percent !== undefined && outcome.status === AckStatus.applied) {
        if ((await rolloutBucket(this.clientId, slot.sha256)) >= percent)
          outcome = { status: AckStatus.skipped };
      }
      this.ack(signed, name, slot, outcome);
    }
    this.emit({ type: 'applied', seq: signed.release.seq, version: signed.release.version, from: 'relay' });
    this.wake();
  }

  /** Where the bytes came from so far (reported in heartbeats). */
  traffic(): { bytesFromRelay: number; bytesFromPeers: number; peers: number } {
    return (
      this.options.swarm?.traffic() ?? { bytesFromRelay: this.bytesFromRelay, bytesFromPeers: 0, peers: 0 }
    );
  }

  private fetchBlob(slot: Slot): Promise<Uint8Array> {
    return this.options.swarm ? this.options.swarm.fetch(slot) : this.fetcher.fetch(slot);
  }

  private ack(signed: SignedRelease, name: string, slot: Slot, outcome: SlotOutcome): void {
    this.send({
      type: MessageType.ack,
      seq: signed.release.seq,
      slot: name,
      version: slot.version,
      sha256: slot.sha256,
      status: outcome.status,
      ...(outcome.error === undefined ? {} : { error: outcome.error.slice(0, 1000) }),
    });
  }

  /** A fetch that stopped moving: the relay refused a request or went quiet; start over. */
  private checkStalls(): void {
    if (this.fetcher.stalled(this.options.fetchStallMs ?? 15_000)) this.channel?.close();
  }
}
