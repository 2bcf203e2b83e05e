/**
 * Simulates a room of N players receiving one patch through the swarm: the production `Swarm` on
 * simulated links (latency, per-node uplink bandwidth), a simulated relay with the production deferral
 * policy, a share of players leaving mid-transfer, and, if asked, liar peers (`liar.ts`) that claim
 * every chunk, deliver none, and keep dialling honest players.
 */
import { describeBlob, type BlobDescriptor } from '../../protocol/blobs.ts';
import { Swarm } from '../../player/swarm/swarm.ts';
import { decodeChunkFrame } from '../../protocol/swarm/wire.ts';
import { LIAR_MODES, SimLiar, type LiarMode } from './liar.ts';
import { SimLink, SimRelay, syncHasher, Uplink, VirtualClock } from './sim-net.ts';

/** Parameters of one simulated run. */
export interface SimParams {
  readonly peers: number;
  readonly blobBytes: number;
  readonly chunkSize?: number;
  /** Links each player opens on joining (it accepts more, up to the swarm's maxPeers). */
  readonly connectTo?: number;
  readonly maxPeers?: number;
  readonly latencyMs?: readonly [number, number];
  /** Player uplink, bytes per ms (1000 = 1 MB/s). */
  readonly peerUpBytesPerMs?: number;
  readonly relayUpBytesPerMs?: number;
  readonly relayHoldMs?: number;
  /** Share of players that leave mid-transfer. */
  readonly leaveFraction?: number;
  readonly seed?: number;
  /** Give up after this much virtual time. */
  readonly limitMs?: number;
  /** Liar peers besides the `peers` honest players (default 0). */
  readonly liars?: number;
  /** Their modes, dealt round-robin (default: none, stall, bad). */
  readonly liarModes?: readonly LiarMode[];
  /** Links each liar keeps dialling to honest players (default 6: as many as a player takes). */
  readonly liarLinks?: number;
}

/** What a run measured. */
export interface SimResult {
  readonly peers: number;
  readonly liars: number;
  readonly stayed: number;
  readonly completed: number;
  readonly left: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  readonly relayBytes: number;
  readonly peerBytes: number;
  readonly offload: number;
  /** Longest chain of peer-to-peer hops a chunk took to reach a player. */
  readonly rounds: number;
  /** Links the honest players dropped (liars caught, and players who left). */
  readonly peersDropped: number;
  /** `peer.get`s the liars received: requests they wasted. */
  readonly liarRequests: number;
  /** `swarm.starved` signals the relay heard. */
  readonly starvedSignals: number;
  readonly events: number;
  readonly wallMs: number;
}

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface SimNode {
  readonly id: string;
  readonly liar?: undefined;
  readonly swarm: Swarm;
  readonly uplink: Uplink;
  readonly life: { alive: boolean };
  doneAt: number | null;
  readonly depth: Int32Array;
}

interface LiarNode {
  readonly id: string;
  readonly liar: SimLiar;
  readonly uplink: Uplink;
  readonly life: { alive: boolean };
}

/** Runs one simulation. */
export async function simulate(params: SimParams): Promise<SimResult> {
  const started = performance.now();
  const random = prng(params.seed ?? 1);
  const chunkSize = params.chunkSize ?? 64 * 1024;
  const [latMin, latMax] = params.latencyMs ?? [10, 60];
  const clock = new VirtualClock();
  const blob = new Uint8Array(params.blobBytes);
  for (let i = 0; i < blob.length; i += 4)
    new DataView(blob.buffer).setUint32(i, Math.floor(random() * 2 ** 32));
  const desc: BlobDescriptor = await describeBlob(blob, chunkSize);
  const relay = new SimRelay(
    clock,
    new Map([[desc.sha256, { bytes: blob, chunkSize, chunks: desc.chunks.length }]]),
    {
      bytesPerMs: params.relayUpBytesPerMs ?? 100_000,
      latencyMs: 30,
      ...(params.relayHoldMs === undefined ? {} : { holdMs: params.relayHoldMs }),
    },
  );

  const connectTo = params.connectTo ?? 3;
  const nodes: SimNode[] = [];
  for (let i = 0; i < params.peers; i++) {
    const id = `p${i}`;
    const life = { alive: true };
    const swarm = new Swarm({
      relay: relay.sourceFor(() => life.alive),
      clock,
      random,
      hash: syncHasher,
      ...(params.maxPeers === undefined ? {} : { maxPeers: params.maxPeers }),
      // Like `PeerMesh`, a player below its target dials more (here half a second later).
      onPeersChanged: (count) => {
        if (count < connectTo && life.alive) clock.setTimeout(() => life.alive && link(node), 500);
      },
    });
    const node: SimNode = {
      id,
      swarm,
      life,
      uplink: new Uplink(clock, params.peerUpBytesPerMs ?? 2_000),
      doneAt: null,
      depth: new Int32Array(desc.chunks.length).fill(-1),
    };
    nodes.push(node);
  }

  const liars: LiarNode[] = [];
  const modes = params.liarModes ?? LIAR_MODES;
  for (let i = 0; i < (params.liars ?? 0); i++) {
    const id = `liar${i}`;
    const liar = new SimLiar(id, modes[i % modes.length]!, desc);
    liars.push({
      id,
      liar,
      uplink: new Uplink(clock, params.peerUpBytesPerMs ?? 2_000),
      life: { alive: true },
    });
  }
  /** Whom a player may pick from the relay's list: honest players and liars alike. */
  const everyone: (SimNode | LiarNode)[] = [...nodes, ...liars];

  // Topology: each player links to a few random others (as a player joining picks from the relay's
  // list), and, like `PeerMesh`, dials more when links drop below that — here half a second after.
  const neighbours = new Map<SimNode, Set<SimNode>>(nodes.map((n) => [n, new Set()]));
  const link = (node: SimNode): void => {
    for (let k = 0; k < connectTo * 3 && node.swarm.peerCount < connectTo; k++) {
      const other = everyone[Math.floor(random() * everyone.length)]!;
      if (other.liar) {
        linkLiar(other, node);
        continue;
      }
      if (other === node || !other.life.alive) continue;
      if (!node.swarm.canAdd(other.id) || !other.swarm.canAdd(node.id)) continue;
      const latency = latMin + random() * (latMax - latMin);
      const [mine, theirs] = SimLink.pair(clock, node, other, latency);
      tapChunks(mine, other, node);
      tapChunks(theirs, node, other);
      node.swarm.addPeer(mine);
      other.swarm.addPeer(theirs);
      neighbours.get(node)!.add(other);
      neighbours.get(other)!.add(node);
    }
  };
  /** A liar links to `victim` if it takes it; when the link drops, the liar dials another victim. */
  const linkLiar = (liar: LiarNode, victim: SimNode): boolean => {
    if (!victim.life.alive || !victim.swarm.canAdd(liar.id)) return false;
    const latency = latMin + random() * (latMax - latMin);
    const [mine, theirs] = SimLink.pair(clock, victim, liar, latency);
    liar.liar.attach(theirs, () => clock.setTimeout(() => dialVictims(liar), 1_000));
    victim.swarm.addPeer(mine);
    return true;
  };
  const liarLinks = params.liarLinks ?? 6;
  const dialVictims = (liar: LiarNode): void => {
    if (!liar.life.alive) return;
    for (let k = 0; k < liarLinks * 3 && liar.liar.linkCount < liarLinks; k++) {
      linkLiar(liar, nodes[Math.floor(random() * nodes.length)]!);
    }
  };
  for (const node of nodes) link(node);
  for (const liar of liars) dialVictims(liar);

  // Publish at t = 0: the relay announces to everyone; a share of players leave mid-transfer.
  const leaving = new Set<SimNode>();
  const leaveCount = Math.round((params.leaveFraction ?? 0.1) * nodes.length);
  while (leaving.size < leaveCount) leaving.add(nodes[Math.floor(random() * nodes.length)]!);
  const expectedMs = (params.blobBytes / (params.peerUpBytesPerMs ?? 2_000)) * 2;
  for (const node of leaving) {
    clock.setTimeout(() => {
      node.life.alive = false;
      node.swarm.close();
      for (const other of neighbours.get(node)!) {
        neighbours.get(other)!.delete(node);
        if (other.life.alive) clock.setTimeout(() => other.life.alive && link(other), 500);
      }
    }, random() * expectedMs);
  }
  for (const node of nodes) {
    clock.setTimeout(() => {
      if (!node.life.alive) return;
      void node.swarm.fetch(desc).then((result) => {
        if (result.ok && node.life.alive) node.doneAt = clock.now();
      });
    }, 30);
  }

  const stayed = nodes.filter((n) => !leaving.has(n));
  await clock.run(() => stayed.every((n) => n.doneAt !== null), params.limitMs ?? 600_000);

  const times = stayed.flatMap((n) => (n.doneAt === null ? [] : [n.doneAt])).sort((a, b) => a - b);
  const peerBytes = nodes.reduce((sum, n) => sum + n.swarm.stats.bytesFromPeers, 0);
  let rounds = 0;
  for (const n of stayed) for (const d of n.depth) rounds = Math.max(rounds, d);
  const peersDropped = stayed.reduce((sum, n) => sum + n.swarm.stats.peersDropped, 0);
  for (const liar of liars) liar.life.alive = false;
  for (const liar of liars) liar.liar.close();
  for (const node of nodes) node.swarm.close();
  return {
    peers: params.peers,
    liars: liars.length,
    stayed: stayed.length,
    completed: times.length,
    left: leaving.size,
    p50Ms: percentile(times, 50),
    p95Ms: percentile(times, 95),
    maxMs: times.at(-1) ?? NaN,
    relayBytes: relay.bytesSent,
    peerBytes,
    offload: peerBytes / (peerBytes + relay.bytesSent),
    rounds,
    peersDropped,
    liarRequests: liars.reduce((sum, l) => sum + l.liar.requests, 0),
    starvedSignals: relay.starvedSignals,
    events: clock.events,
    wallMs: performance.now() - started,
  };

  /** Records, per player and chunk, how many peer hops the first copy took (relay = 0). */
  function tapChunks(link: SimLink, from: SimNode, to: SimNode): void {
    const attach = link.attach.bind(link);
    link.attach = (handlers) =>
      attach({
        ...handlers,
        message: (data) => {
          if (typeof data !== 'string') {
            const frame = decodeChunkFrame(data);
            if (frame.ok && to.depth[frame.value.index] === -1) {
              to.depth[frame.value.index] = Math.max(0, from.depth[frame.value.index] ?? 0) + 1;
            }
          }
          handlers.message(data);
        },
      });
  }
}
