/**
 * The Node adapter put together: a headless player (`patchcast play`, tests, the swarm benchmark).
 * The platform-free patch client (`player/core/`) on Node's parts — a file cache (or memory), the
 * relay over framed TCP or WebSocket, scripts in the `worker_threads` sandbox, and with `p2p` the
 * swarm on node-datachannel — and a frame loop that runs the logic script as the page's does, so a
 * script that fails at run time is acked and dropped for the last good one here too.
 */
import { createHash } from 'node:crypto';
import { PatchClient, type PatchClientOptions } from '../core/patch-client.ts';
import { memoryCache } from '../core/memory-cache.ts';
import type { PatchCache } from '../core/cache.ts';
import type { ConnectTransport } from '../core/transport.ts';
import type { PatchHandlers } from '../core/apply.ts';
import { PlayerSwarm, type PlayerSwarmOptions } from '../swarm/player-swarm.ts';
import { WORLD_HEIGHT, WORLD_WIDTH } from '../sandbox/contract.ts';
import type { LogicHostOptions } from '../sandbox/logic-host.ts';
import { fileCache } from './file-cache.ts';
import { NodeGame } from './node-handlers.ts';
import { NODE_PEER_ID_PREFIX, openNodePeer } from './node-peer.ts';

/** Options of {@link NodePlayer}. */
export interface NodePlayerOptions extends Omit<
  PatchClientOptions,
  'cache' | 'connect' | 'handlers' | 'blobSource' | 'onRelayMessage' | 'peerId'
> {
  /**
   * What the player does with each slot (default: the demo game's, scripts in the Node sandbox —
   * `node-handlers.ts`). A benchmark of delivery alone may pass handlers that only accept.
   */
  readonly handlers?: PatchHandlers;
  /** How to reach the relay (`tcpTransport`, `nodeWebSocketTransport`); several: failover in that order. */
  readonly connect: ConnectTransport | readonly ConnectTransport[];
  /** Keep releases and blobs in this directory and start from them (default: in memory only). */
  readonly cacheDir?: string;
  /** Or any other cache (wins over `cacheDir`). */
  readonly cache?: PatchCache;
  /** Join the room's swarm on node-datachannel (the relay's PeerJS server at `{server}/peerjs`). */
  readonly p2p?: Omit<PlayerSwarmOptions, 'openPeer' | 'server'>;
  /** Frames per second of the logic loop (default 20; 0: scripts are only tried, never run on). */
  readonly fps?: number;
  /** Sandbox options (budgets, trial frames). */
  readonly logic?: Omit<LogicHostOptions, 'onFailure'>;
}

/**
 * SHA-256 (hex) of a chunk with `node:crypto`, for the swarm's chunk checks: in the calling thread,
 * without WebCrypto's copy of the bytes and round trip through libuv's thread pool — ~60 µs of CPU
 * for a 64 KiB chunk against ~100–200 µs, and no wait for a pool thread on a loaded machine.
 */
export async function nodeSha256Hex(bytes: Uint8Array): Promise<string> {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A headless player; see the file comment. */
export class NodePlayer {
  readonly client: PatchClient;
  readonly swarm: PlayerSwarm | null;
  private readonly game: NodeGame;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly fps: number;

  constructor(options: NodePlayerOptions) {
    const { cache, cacheDir, p2p, fps, logic, handlers, ...rest } = options;
    this.fps = fps ?? 20;
    this.game = new NodeGame({
      ...logic,
      onFailure: (failed, error, now, transient) =>
        void this.client.reportFailure('logic', failed.id, error, now?.id ?? null, { transient }),
    });
    this.swarm = p2p
      ? new PlayerSwarm({
          ...p2p,
          swarm: { hash: nodeSha256Hex, ...p2p.swarm },
          server: () => this.client.currentServer(),
          openPeer: openNodePeer,
          idPrefix: NODE_PEER_ID_PREFIX,
        })
      : null;
    this.client = new PatchClient({
      ...rest,
      cache: cache ?? (cacheDir !== undefined ? fileCache(cacheDir) : memoryCache()),
      handlers: handlers ?? this.game.handlers,
      ...this.swarm?.clientOptions(),
    });
    this.swarm?.bind(this.client);
  }

  /** Boots from the cache, connects, starts the frame loop, and (with p2p) joins the swarm. */
  async start(): Promise<void> {
    await this.client.start();
    if (this.fps > 0) {
      const dt = 1 / this.fps;
      const started = Date.now();
      this.timer = setInterval(() => {
        const world = { width: WORLD_WIDTH, height: WORLD_HEIGHT, time: (Date.now() - started) / 1000 };
        this.game.logic?.tick(world, dt);
      }, 1000 / this.fps);
      this.timer.unref?.();
    }
    await this.swarm?.start();
  }

  /** Resolves once the player holds seq `seq` or newer; rejects after `timeoutMs`. */
  waitForSeq(seq: number, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.client.status().seq < seq) return;
        clearTimeout(timer);
        this.client.removeEventListener('status', check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.client.removeEventListener('status', check);
        reject(new Error(`seq ${seq} not reached in ${timeoutMs} ms (at ${this.client.status().seq})`));
      }, timeoutMs);
      this.client.addEventListener('status', check);
      check();
    });
  }

  /** The logic running now (null before any script was applied). */
  get logic() {
    return this.game.logic;
  }

  /** Stops everything: the connection, the swarm, the frame loop, every sandbox worker. */
  close(): void {
    clearInterval(this.timer);
    this.swarm?.stop();
    this.client.close();
    this.game.dispose();
  }
}
