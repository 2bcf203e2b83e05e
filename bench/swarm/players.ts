/**
 * The players of the swarm benchmark's real part, in a child process of their own (`real.ts` forks
 * one or more): headless players (`patchcast play`'s client — with `--p2p`'s swarm on node-webrtc, or
 * the relay alone) that follow a room over TCP. Players in several processes use more than one core
 * between them, as players on their own machines would; the relay stays in the parent. Driven over
 * IPC: `start` (join and wait for the mesh), `watch` (time the next seq's apply), `stop`, `exit`.
 */
import { cpuUsage } from 'node:process';
import * as v from 'valibot';
import type { NodePlayer } from '../../player/node/index.ts';

const CommandSchema = v.variant('cmd', [
  v.object({
    cmd: v.literal('start'),
    server: v.string(),
    tcpPort: v.number(),
    room: v.string(),
    publicKey: v.string(),
    swarm: v.boolean(),
    ids: v.array(v.string()),
    /** The seq every player holds before the patch. */
    seq: v.number(),
    /** Links each swarm player should have before `ready` (waited for at most 20 s). */
    minPeers: v.number(),
  }),
  v.object({ cmd: v.literal('watch'), seq: v.number(), timeoutMs: v.number() }),
  v.object({ cmd: v.literal('stop') }),
  v.object({ cmd: v.literal('exit') }),
]);
type Command = v.InferOutput<typeof CommandSchema>;

/** What the parent hears back. */
export type PlayersReply =
  | { readonly type: 'ready'; readonly peers: readonly number[] }
  | {
      readonly type: 'done';
      /** Wall-clock ms (performance.timeOrigin + now) each player applied the seq; null if it didn't. */
      readonly appliedAt: readonly (number | null)[];
      readonly relayBytes: number;
      readonly peerBytes: number;
      /** CPU this process spent from `watch` to done (user + system, ms). */
      readonly cpuMs: number;
    }
  | { readonly type: 'stopped' }
  | { readonly type: 'error'; readonly message: string };

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
        ...(cmd.swarm ? { p2p: {} } : {}),
      }),
  );
  await Promise.all(players.map((p) => p.start()));
  await Promise.all(players.map((p) => p.waitForSeq(cmd.seq, 120_000)));
  const deadline = Date.now() + 20_000;
  const peers = () => players.map((p) => p.client.status().peers);
  while (cmd.swarm && Date.now() < deadline && peers().some((n) => n < cmd.minPeers)) {
    await new Promise((r) => setTimeout(r, 50));
  }
  reply({ type: 'ready', peers: peers() });
}

async function watch(cmd: Extract<Command, { cmd: 'watch' }>): Promise<void> {
  const before = players.map((p) => p.client.status());
  const cpu = cpuUsage();
  const appliedAt = await Promise.all(
    players.map((p) =>
      p.waitForSeq(cmd.seq, cmd.timeoutMs).then(
        () => wall(),
        () => null,
      ),
    ),
  );
  const spent = cpuUsage(cpu);
  const after = players.map((p) => p.client.status());
  reply({
    type: 'done',
    appliedAt,
    relayBytes: after.reduce((s, a, i) => s + a.bytesFromRelay - before[i]!.bytesFromRelay, 0),
    peerBytes: after.reduce((s, a, i) => s + a.bytesFromPeers - before[i]!.bytesFromPeers, 0),
    cpuMs: (spent.user + spent.system) / 1000,
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
