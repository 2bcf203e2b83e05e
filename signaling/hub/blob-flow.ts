/**
 * Answers to `blob.get`: the chunks a client asks for, within its send-queue budget, each encoded
 * once for everyone (the chunk cache), or a `blob.defer` ("your peers have it") when the relay's
 * egress is the bottleneck (`egress.ts`) and the swarm deferral policy says the swarm should carry
 * it. Every chunk sent waits its turn in the egress budget (`--egress-limit`).
 */
import { ErrorCode, MessageType, chunkLength, type BlobGet, type Slot } from '../../protocol/index.ts';
import type { Metrics } from '../metrics.ts';
import type { Relay } from '../relay/relay.ts';
import type { Conn } from './conn.ts';
import { BlobPush } from './blob-push.ts';
import type { Connections } from './connections.ts';
import { DeferralPolicy, mayDeferTo, type DeferralDecision } from './deferral.ts';
import { BlobDemand, type EgressBudget } from './egress.ts';
import { FramedBlobCache, type FramedBlob } from './framed-blob.ts';
import type { Framing } from './framing.ts';
import { chunkPayloadEstimate, errorPayload, payloadOf } from './payloads.ts';

/** The part of a connection's send queue blob chunks may fill; the rest is for control messages. */
export const BLOB_QUEUE_SHARE = 15 / 16;

/**
 * Without an egress limit, consecutive chunks of one answer go to the send queue as pieces of up to
 * the connection's whole window (each one view of the blob's framed messages, one `write`): a 5 MB
 * blob leaves in six writes per connection at the default 1 MiB, each in the connection's next turn
 * once the kernel took the one before. With an egress limit, each chunk waits for the budget alone.
 */
export function chunkRunBytes(windowBytes: number, egressLimited: boolean): number {
  return egressLimited ? 0 : windowBytes;
}

/**
 * A run this small (a small script's one chunk) goes without waiting for a write slot, like a control
 * message: the slots keep many sockets from filling with megabytes at once, and a few KiB never do.
 */
export const SLOTLESS_RUN_BYTES = 16 * 1024;

const SERVE: DeferralDecision = { serve: true };
const BULK = { bulk: true } as const;
const CONTROL = { bulk: false } as const;

/** A wire and chunk encoding that blobs are framed for. */
export interface ChunkWire {
  readonly binary: boolean;
  readonly framing: Framing;
}

/** What the blob flow keeps per connection. */
export interface BlobAccount {
  /** Estimated bytes of answers accepted but not queued yet (the blob is being read). */
  blobBytesPending: number;
  /** The client said `binaryChunks` in its hello: chunks go as binary chunk frames. */
  readonly binaryChunks: boolean;
}

/** The hub's `blob.get` answers, and the small blobs pushed with a release (`blob-push.ts`). */
export class BlobFlow {
  private readonly framed = new FramedBlobCache();
  /** Which chunk requests are deferred to the swarm (a cluster shares its copies between nodes). */
  readonly deferral = new DeferralPolicy({ clock: { now: () => Date.now() } });
  private readonly demand = new BlobDemand();
  /** Small blobs pushed behind their release, framed in the same cache as the answers. */
  readonly push: BlobPush;

  constructor(
    private readonly relay: Relay,
    private readonly metrics: Metrics,
    private readonly connections: Connections,
    /** A connection's send-queue limit (`outbox.maxQueuedBytes`). */
    private readonly maxQueuedBytes: number,
    /** The relay's blob egress budget. */
    private readonly egress: EgressBudget,
    /** Blobs of at most this many bytes are pushed with their release (`HubOptions.pushBlobMaxBytes`). */
    pushBlobMaxBytes?: number,
  ) {
    this.push = new BlobPush(relay, this.framed, egress, pushBlobMaxBytes);
  }

  /**
   * Frames an uploaded blob's chunk messages before the release naming it is published, for each
   * wire and encoding given (the room's connections'): that publish's answers start writing at once,
   * not after ~17 ms of framing a 5 MB blob per wire.
   */
  prepare(sha256: string, bytes: Uint8Array, chunkSize: number, wires: Iterable<ChunkWire>): void {
    for (const { binary, framing } of wires) this.framed.get(sha256, bytes, chunkSize, binary, framing);
  }

  /** True when a blob's messages for this wire and encoding are framed already. */
  isFramed(sha256: string, chunkSize: number, wire: ChunkWire): boolean {
    return this.framed.has(sha256, chunkSize, wire.binary, wire.framing);
  }

  /** Answers one `blob.get` of a connection in `room`. */
  async serve(conn: Conn, account: BlobAccount, room: string, request: BlobGet): Promise<void> {
    const { sha256, from, count } = request;
    // The chunking of the newest release of the room naming the blob.
    const desc = this.relay.chunkingOf(room, sha256);
    if (!desc) {
      const why = `no release of room ${room} names blob ${sha256}`;
      return this.connections.refuse(conn, ErrorCode.BLOB_MISSING, why, false);
    }
    const total = desc.chunks.length;
    if (from >= total) {
      const why = `blob ${sha256} has ${total} chunks, from=${from}`;
      return this.connections.refuse(conn, ErrorCode.BAD_MESSAGE, why, false);
    }
    const end = Math.min(total, from + count);
    const binary = account.binaryChunks;
    let estimate = 0;
    for (let i = from; i < end; i++) estimate += chunkPayloadEstimate(chunkLength(desc, i), binary);
    // Requests still reading their blob count too: pipelined requests all pass this check before any
    // of them queues a chunk, and their sum must fit. Part of the queue is kept for control messages.
    const budget = this.maxQueuedBytes * BLOB_QUEUE_SHARE;
    if (conn.outbox.pendingBytes + account.blobBytesPending + estimate > budget) {
      // Flow control, not misbehaviour: not a bad message. An unsent refusal is replaced by the next
      // one, so a burst of refused requests can't fill the queue with errors.
      this.metrics.refusals.inc({ code: ErrorCode.TOO_SLOW, source: 'socket' });
      const why = `too many chunks requested at once: ask for ${sha256} chunk ${from} again later`;
      conn.outbox.send(errorPayload(ErrorCode.TOO_SLOW, why, false), { key: 'blob.too-slow' });
      return;
    }
    account.blobBytesPending += estimate;
    let blob: Uint8Array | null;
    try {
      blob = await this.relay.readBlob(sha256);
    } finally {
      account.blobBytesPending -= estimate;
    }
    if (!conn.live) return;
    if (!blob) {
      return this.connections.refuse(conn, ErrorCode.BLOB_MISSING, `blob ${sha256} is not stored`, false);
    }
    const mayDefer = mayDeferTo(request.defer ?? false, conn.swarmStarved);
    // The relay is the bottleneck when a copy to every client asking for this blob would not leave
    // within the egress budget (never, without a limit).
    const demand = this.demand.note(sha256, conn.id) * desc.size;
    const underBudget = this.egress.underBudget(demand);
    const framed = this.framed.get(sha256, blob, desc.chunkSize, binary, conn.wire.framing);
    // With an egress limit every chunk waits for the budget alone; without, runs go at once.
    const runBytes = chunkRunBytes(conn.outbox.windowBytes, this.egress.bytesPerSecond !== null);
    if (!mayDefer) {
      // Served whatever the ledger says (no lookup per chunk): runs of whole chunks, nothing else.
      this.deferral.counts[conn.swarmStarved ? 'starved' : 'alone'] += end - from;
      if (end - from === 1 || framed.sizeOf(from, end) <= runBytes) {
        return this.sendRun(conn, account, desc, framed, from, end);
      }
    }
    // Everything answered here leaves in one corked write (several runs, deferrals).
    conn.outbox.batch(() => {
      let runFrom = -1;
      for (let i = from; i < end; i++) {
        // A client with swarm peers may be told to get a chunk from them, when the relay's egress is
        // the bottleneck: the relay lets out about one copy of each chunk to the swarm (deferral.ts)
        // and a trickle after that. While it has room, it serves at once. A client that may not be
        // deferred is served whatever the ledger says (no lookup per chunk).
        const decision = mayDefer ? this.deferral.decide(sha256, total, i, mayDefer, underBudget) : SERVE;
        if (!decision.serve) {
          if (runFrom >= 0) this.sendRun(conn, account, desc, framed, runFrom, i);
          runFrom = -1;
          const { retryAfterMs } = decision;
          conn.outbox.send(payloadOf({ type: MessageType.blobDefer, sha256, index: i, retryAfterMs }));
          continue;
        }
        const first = decision.firstCopyAt;
        if (first !== undefined) {
          // One of the swarm's first copies, in a cluster: alone, as it may yield when its turn comes
          // to another node's copy (signaling/cluster/deferral-share.ts); the client is deferred then.
          if (runFrom >= 0) this.sendRun(conn, account, desc, framed, runFrom, i);
          runFrom = -1;
          this.sendRun(conn, account, desc, framed, i, i + 1, () => this.yields(conn, sha256, i, first));
          continue;
        }
        if (runFrom >= 0 && framed.sizeOf(runFrom, i + 1) > runBytes) {
          this.sendRun(conn, account, desc, framed, runFrom, i);
          runFrom = -1;
        }
        if (runFrom < 0) runFrom = i;
      }
      if (runFrom >= 0) this.sendRun(conn, account, desc, framed, runFrom, end);
    });
  }

  /** True (and the client told to ask its peers) if a first copy yields to another node's. */
  private yields(conn: Conn, sha256: string, index: number, firstCopyAt: number): boolean {
    if (!this.deferral.yields(sha256, index, firstCopyAt)) return false;
    const retryAfterMs = this.deferral.yieldRetryMs;
    if (conn.live) conn.outbox.send(payloadOf({ type: MessageType.blobDefer, sha256, index, retryAfterMs }));
    return true;
  }

  /**
   * Queues chunks `from`…`to - 1` as one piece, once the egress budget lets their bytes out (unless
   * `skip`, asked then, says otherwise).
   */
  private sendRun(
    conn: Conn,
    account: BlobAccount,
    desc: Slot,
    framed: FramedBlob,
    from: number,
    to: number,
    skip?: () => boolean,
  ): void {
    const size = framed.sizeOf(from, to);
    const blobBytes = Math.min(desc.size, to * desc.chunkSize) - from * desc.chunkSize;
    if (this.egress.bytesPerSecond === null && !skip) {
      // Nothing waits without a limit: counted and queued now (no closure per answer).
      if (this.egress.letThrough(blobBytes) && conn.live) {
        conn.outbox.send({ wire: framed.run(from, to) }, size > SLOTLESS_RUN_BYTES ? BULK : CONTROL, size);
      }
      return;
    }
    // Waiting for the egress budget counts against the connection's queue budget too.
    account.blobBytesPending += size;
    this.egress.schedule(
      blobBytes,
      () => {
        account.blobBytesPending -= size;
        const bulk = size > SLOTLESS_RUN_BYTES;
        if (conn.live) conn.outbox.send({ wire: framed.run(from, to) }, { bulk }, size);
      },
      skip &&
        (() => {
          if (!skip()) return false;
          account.blobBytesPending -= size;
          return true;
        }),
    );
  }

  /** Drops chunks still waiting for the egress budget. */
  close(): void {
    this.egress.close();
  }
}
