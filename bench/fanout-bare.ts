/**
 * The fan-out benchmark's bare servers, in a process of their own (`BareProcess`, driven over IPC
 * by `fanout-runs.ts`), so that the relay's process holds the relay alone, as in service: no bare
 * server's sockets (a different object shape) in the Node socket and stream code the relay's hot path
 * has optimized, and no bare run's garbage collections between its runs. The relay's own CPU still
 * falls over its first runs as V8 finishes compiling its hot path (docs/server.md, "seventh round").
 *
 * Each push is measured here, in this process: its CPU (all threads; the main thread's from /proc)
 * from the first write until the parent says `stop` (the readers had everything, or gave up).
 */
import { readFile } from 'node:fs/promises';
import * as v from 'valibot';
import { BareServer } from './fanout-baseline.ts';
import { fullGc } from './fanout-machine.ts';
import { threadCpuMs, threadCpuSince } from './thread-cpu.ts';

const CommandSchema = v.variant('cmd', [
  v.object({ cmd: v.literal('start') }),
  v.object({ cmd: v.literal('load'), file: v.string() }),
  v.object({
    cmd: v.literal('push'),
    n: v.number(),
    mode: v.variant('kind', [
      v.object({ kind: v.literal('all') }),
      v.object({ kind: v.literal('pool'), size: v.number() }),
    ]),
  }),
  v.object({ cmd: v.literal('stop') }),
  v.object({ cmd: v.literal('close') }),
  v.object({ cmd: v.literal('exit') }),
]);

const send = (m: object): void => void process.send?.(m);
const now = () => performance.timeOrigin + performance.now();

let bare: BareServer | null = null;
let bytes: Uint8Array = new Uint8Array(0);
let started: { cpu: NodeJS.CpuUsage; threads: Map<string, number>; pushed: Promise<void> } | null = null;

async function handle(c: v.InferOutput<typeof CommandSchema>): Promise<void> {
  switch (c.cmd) {
    case 'start':
      bare = await BareServer.start();
      return send({ type: 'listening', port: bare.port });
    case 'load':
      bytes = new Uint8Array(await readFile(c.file));
      return send({ type: 'loaded', bytes: bytes.length });
    case 'push': {
      if (!bare) throw new Error('push before start');
      await bare.waitFor(c.n);
      fullGc();
      const t0 = now();
      const cpu = process.cpuUsage();
      const threads = threadCpuMs();
      started = { cpu, threads, pushed: bare.push(bytes, c.mode).catch(() => {}) };
      return send({ type: 'pushing', t0 });
    }
    case 'stop': {
      if (!started) throw new Error('stop before push');
      const cpu = process.cpuUsage(started.cpu);
      const { loopMs, byThread } = threadCpuSince(started.threads);
      await started.pushed;
      started = null;
      return send({
        type: 'cpu',
        cpuMs: (cpu.user + cpu.system) / 1000,
        sysMs: cpu.system / 1000,
        loopMs,
        byThread,
      });
    }
    case 'close':
      await bare?.close();
      bare = null;
      return send({ type: 'closed' });
    case 'exit':
      await bare?.close();
      process.exit(0);
  }
}

process.on('message', (raw: unknown) => {
  const parsed = v.safeParse(CommandSchema, raw);
  if (parsed.success) void handle(parsed.output);
});
send({ type: 'up' });
