/**
 * The players of the swarm benchmark's real part, in a child process of their own (`real.ts` forks
 * one or more): headless players (`patchcast play`'s client — with `--p2p`'s swarm on node-datachannel, or
 * the relay alone) that follow a room over TCP. Players in several processes use more than one core
 * between them, as players on their own machines would; the relay stays in the parent. Driven over
 * IPC: `start` (join and settle), `watch` (time the next seq's apply), `stop`, `exit`.
 *
 * Settled, the same way in both modes: every player holds the room's seq, a swarm player's PeerJS
 * peer is registered (or has given up) if it wants links (on a relay that may defer; on one that
 * serves at once it opens none: `player-swarm.ts`), the heap is collected (the last run's players
 * and patches: `collect-garbage.ts`), and then this process has been quiet — under 10 % of a core for
 * two 250 ms windows in a row — so that nothing a player does on joining (registering, dialling when
 * links are eager) falls into the timed window.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpuUsage } from 'node:process';
import * as v from 'valibot';
import { collectGarbage } from './collect-garbage.ts';
import { addSwarmCounts, noSwarmCounts, type SwarmCounts } from './swarm-counts.ts';
import { threadCpuMs, threadCpuSince } from '../thread-cpu.ts';
import type { NodePlayer } from '../../player/node/index.ts';

const CommandSchema = v.variant('cmd', [
  v.object({
    cmd: v.literal('start'),
    server: v.string(),
    tcpPort: v.number(),
    room: v.string(),
    publicKey: v.string(),
    swarm: v.boolean(),
    links: v.picklist(['on-demand', 'eager']),
    ids: v.array(v.string()),
    /** The seq every player holds before the patch. */
    seq: v.number(),
  }),
  v.object({ cmd: v.literal('watch'), seq: v.number(), timeoutMs: v.number() }),
  v.object({ cmd: v.literal('stop') }),
  v.object({ cmd: v.literal('exit') }),
]);
type Command = v.InferOutput<typeof CommandSchema>;

/** What the parent hears back. */
export type PlayersReply =
  | { readonly type: 'ready'; readonly peers: readonly number[]; readonly settleMs: number }
  | {
      readonly type: 'done';
      /** Wall-clock ms (performance.timeOrigin + now) each player applied the seq; null if it didn't. */
      readonly appliedAt: readonly (number | null)[];
      readonly relayBytes: number;
      readonly peerBytes: number;
      /** CPU this process spent from `watch` to done (user + system, ms). */
      readonly cpuMs: number;
      /** Links of each player when the watch started, and when it ended. */
      readonly linksBefore: readonly number[];
      readonly linksAfter: readonly number[];
      /** Wall-clock ms each player first had a link during the watch (null: none, or one before it). */
      readonly linkedAt: readonly (number | null)[];
      /** CPU by thread of this process, publish → all applied (`main 820 ms, …`). */
      readonly threads: string;
      /** The swarm players' counters over the watch, summed (`SwarmStats`; zeros for relay-only). */
      readonly swarm: SwarmCounts;
    }
  | { readonly type: 'stopped' }
  | { readonly type: 'error'; readonly message: string };

/** The counters of every player, summed. */
function swarmCounts(): SwarmCounts {
  const sum = noSwarmCounts();
  for (const p of players) {
    const stats = p.swarm?.stats();
    if (stats) addSwarmCounts(sum, stats);
  }
  return sum;
}

const wall = (): number => performance.timeOrigin + performance.now();
const reply = (message: PlayersReply): void => void process.send?.(message);

let players: NodePlayer[] = [];

async function start(cmd: Extract<Command, { cmd: 'start' }>): Promise<void> {
  const { NodePlayer, tcpTransport } = await import('../../player/node/index.ts');
  // Delivery is measured, not scripts: the players accept what verifies (no sandbox workers).
  const accept = () => ({ status: 'applied' as const });
  players = cmd.ids.map(
    (clientId) =>
      new NodePlayer({
        room: cmd.room,
        publicKey: cmd.publicKey,
        server: cmd.server,
        connect: tcpTransport('127.0.0.1', cmd.tcpPort),
        clientId,
        handlers: { script: accept, texture: accept, config: accept },
        ...(cmd.swarm ? { p2p: { links: cmd.links } } : {}),
      }),
  );
  const started = Date.now();
  await Promise.all(players.map((p) => p.start()));
  await Promise.all(players.map((p) => p.waitForSeq(cmd.seq, 120_000)));
  // A swarm player whose relay may defer (`welcome.defers`) registers with PeerJS once welcomed.
  await Promise.all(players.map((p) => p.swarm?.settled()));
  await linked(LINKS_SETTLE_MS);
  collectGarbage(); // the last run's players and patches, not in this run's window
  await quiet(20_000);
  reply({
    type: 'ready',
    peers: players.map((p) => p.client.status().peers),
    settleMs: Date.now() - started,
  });
}

/** The links a swarm player dials itself (`PeerMesh`'s default target). */
const LINK_TARGET = 4;
/** How long the settle waits for the swarm players' links at most. */
const LINKS_SETTLE_MS = 30_000;

/**
 * Waits until every swarm player that wants links (its PeerJS peer is open: the relay may defer)
 * has its mesh's target of links up, or `maxMs` passed. A harness choice: 50 players that join in
 * the same second stand in for players that joined over minutes, whose links are up long before a
 * publish; links still being set up in the timed window would time the join, not the patch.
 */
async function linked(maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  const wanting = () =>
    players.filter((p) => p.swarm?.info().state === 'open' && p.swarm.info().peers.length < LINK_TARGET);
  while (wanting().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

/** Waits until this process has spent under 10 % of a core in two 250 ms windows in a row. */
async function quiet(maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  let calm = 0;
  while (calm < 2 && Date.now() < deadline) {
    const before = cpuUsage();
    await new Promise((r) => setTimeout(r, 250));
    const spent = cpuUsage(before);
    calm = spent.user + spent.system < 25_000 ? calm + 1 : 0;
  }
}

/**
 * With `PATCHCAST_BENCH_PROFILE=DIR`, each watch window (publish → all applied) is recorded by the
 * inspector's CPU profiler into `DIR/<pid>-<n>.cpuprofile` (open it in Chrome's DevTools).
 */
const PROFILE_DIR = process.env['PATCHCAST_BENCH_PROFILE'];
let profiles = 0;

async function profiled<T>(work: () => Promise<T>): Promise<T> {
  if (!PROFILE_DIR) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(`${PROFILE_DIR}/${process.pid}-${++profiles}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  }
}

async function watch(cmd: Extract<Command, { cmd: 'watch' }>): Promise<void> {
  const before = players.map((p) => p.client.status());
  const linkedAt: (number | null)[] = players.map(() => null);
  const onChange = players.map((p, i) => () => {
    if (linkedAt[i] === null && before[i]!.peers === 0 && (p.swarm?.info().peers.length ?? 0) > 0) {
      linkedAt[i] = wall();
    }
  });
  players.forEach((p, i) => p.swarm?.addEventListener('change', onChange[i]!));
  const countsBefore = swarmCounts();
  const cpu = cpuUsage();
  const threads = threadCpuMs();
  const appliedAt = await profiled(() =>
    Promise.all(
      players.map((p) =>
        p.waitForSeq(cmd.seq, cmd.timeoutMs).then(
          () => wall(),
          () => null,
        ),
      ),
    ),
  );
  const spent = cpuUsage(cpu);
  const byThread = threadCpuSince(threads).byThread;
  players.forEach((p, i) => p.swarm?.removeEventListener('change', onChange[i]!));
  const after = players.map((p) => p.client.status());
  reply({
    type: 'done',
    appliedAt,
    relayBytes: after.reduce((s, a, i) => s + a.bytesFromRelay - before[i]!.bytesFromRelay, 0),
    peerBytes: after.reduce((s, a, i) => s + a.bytesFromPeers - before[i]!.bytesFromPeers, 0),
    cpuMs: (spent.user + spent.system) / 1000,
    linksBefore: before.map((s) => s.peers),
    linksAfter: after.map((s) => s.peers),
    linkedAt,
    threads: byThread,
    swarm: Object.fromEntries(
      Object.entries(swarmCounts()).map(([k, v]) => [k, v - countsBefore[k as keyof SwarmCounts]]),
    ) as unknown as SwarmCounts,
  });
}

async function stop(): Promise<void> {
  for (const p of players) p.close();
  players = [];
  await new Promise((r) => setTimeout(r, 300));
  reply({ type: 'stopped' });
}

process.on('message', (raw: unknown) => {
  const parsed = v.safeParse(CommandSchema, raw);
  if (!parsed.success) return reply({ type: 'error', message: 'bad command' });
  const cmd = parsed.output;
  const run =
    cmd.cmd === 'start'
      ? start(cmd)
      : cmd.cmd === 'watch'
        ? watch(cmd)
        : cmd.cmd === 'stop'
          ? stop()
          : Promise.resolve(process.exit(0));
  run.catch((error: unknown) => reply({ type: 'error', message: String(error) }));
});
