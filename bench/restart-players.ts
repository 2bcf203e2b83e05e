/**
 * The players of the restart benchmark, in their own process (forked by `restart.ts`, driven over
 * IPC): real headless players (the Node adapter over framed TCP) following a room. Times are
 * absolute (`performance.timeOrigin + performance.now()`), so that the relay's process can put them
 * beside the moment it listened again.
 *
 * Commands: `start` (make and start the players; `ready` once all hold `seq`), `arm` (from now on
 * note each reconnect; `offline` once every player lost its connection), `watch` (`done` once every
 * player holds `seq`, with the reconnect and caught-up times and this process's CPU time since
 * `watch` and its event-loop delay meanwhile; with `profile`, a CPU profile of that stretch written there), `exit`.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as v from 'valibot';
import { NodePlayer, tcpTransport } from '../player/node/index.ts';

const CommandSchema = v.variant('cmd', [
  v.object({
    cmd: v.literal('start'),
    server: v.string(),
    tcpPort: v.number(),
    room: v.string(),
    publicKey: v.string(),
    from: v.number(),
    count: v.number(),
    seq: v.number(),
  }),
  v.object({ cmd: v.literal('arm') }),
  v.object({
    cmd: v.literal('watch'),
    seq: v.number(),
    timeoutMs: v.number(),
    profile: v.optional(v.string()),
  }),
  v.object({ cmd: v.literal('exit') }),
]);
type StartCommand = Extract<v.InferOutput<typeof CommandSchema>, { cmd: 'start' }>;

const now = () => performance.timeOrigin + performance.now();
const players: NodePlayer[] = [];
let armed = false;
/** This process's event-loop delay from `watch` to `done`: late timers and reads delay the players. */
const lag = monitorEventLoopDelay({ resolution: 10 });
/** Absolute time of each player's first `welcome` after `arm`. */
const connectedAt = new Map<number, number>();

async function start(c: StartCommand): Promise<void> {
  const accept = () => ({ status: 'applied' as const });
  for (let i = 0; i < c.count; i++) {
    const index = c.from + i;
    const player = new NodePlayer({
      room: c.room,
      publicKey: c.publicKey,
      server: c.server,
      connect: tcpTransport('127.0.0.1', c.tcpPort),
      clientId: `back-${index}`,
      handlers: { script: accept, texture: accept, config: accept },
      fps: 0,
    });
    player.client.on('connected', () => {
      if (armed && !connectedAt.has(i)) connectedAt.set(i, now());
    });
    players.push(player);
  }
  await Promise.all(players.map((p) => p.start()));
  await Promise.all(players.map((p) => p.waitForSeq(c.seq, 60_000)));
  process.send?.({ type: 'ready' });
}

async function arm(): Promise<void> {
  armed = true;
  const deadline = now() + 10_000;
  while (!players.every((p) => p.client.status().mode === 'offline') && now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  process.send?.({ type: 'offline' });
}

async function watch(seq: number, timeoutMs: number, profile?: string): Promise<void> {
  const session = profile ? new Session() : null;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const cpuAt = process.cpuUsage();
  lag.enable();
  const caughtUp = await Promise.all(
    players.map((p) =>
      p.waitForSeq(seq, timeoutMs).then(
        () => now(),
        () => null,
      ),
    ),
  );
  const cpu = process.cpuUsage(cpuAt);
  lag.disable();
  if (session && profile) {
    const { profile: taken } = await session.post('Profiler.stop');
    await writeFile(profile, JSON.stringify(taken));
    session.disconnect();
  }
  process.send?.({
    type: 'done',
    connect: [...connectedAt.values()],
    caughtUp,
    cpuMs: (cpu.user + cpu.system) / 1000,
    lagMeanMs: lag.mean / 1e6,
    lagMaxMs: lag.max / 1e6,
  });
}

process.on('message', (raw: unknown) => {
  const parsed = v.safeParse(CommandSchema, raw);
  if (!parsed.success) return;
  const c = parsed.output;
  if (c.cmd === 'start') void start(c);
  else if (c.cmd === 'arm') void arm();
  else if (c.cmd === 'watch') void watch(c.seq, c.timeoutMs, c.profile);
  else {
    for (const p of players) p.close();
    process.exit(0);
  }
});
process.send?.({ type: 'up' });
