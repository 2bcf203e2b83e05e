/**
 * A benchmark's helper process (the density players, the fan-out readers): forked with tsx, told
 * commands over IPC, its replies parsed and handed to whoever waits for that reply type.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as v from 'valibot';

/**
 * Extra Node flags for the helper processes, from `BENCH_CHILD_FLAGS` (space-separated): e.g.
 * `BENCH_CHILD_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof'` profiles the readers (Node refuses
 * `--cpu-prof` in NODE_OPTIONS).
 */
const childFlags = (process.env.BENCH_CHILD_FLAGS ?? '').split(' ').filter((f) => f !== '');

/** A forked helper that answers commands with typed replies. */
export class BenchChild<Reply extends { type: string }> {
  private readonly child: ChildProcess;
  private waiting: ((r: Reply) => void)[] = [];

  constructor(file: string, schema: v.GenericSchema<unknown, Reply>) {
    this.child = fork(file, [], {
      execArgv: ['--import', 'tsx', ...childFlags],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (raw: unknown) => {
      const parsed = v.safeParse(schema, raw);
      if (parsed.success) for (const w of this.waiting.splice(0)) w(parsed.output);
    });
  }

  /** Sends `message` (none when null or empty) and waits for the next reply of `type`. */
  ask<T extends Reply['type']>(message: object | null, type: T): Promise<Extract<Reply, { type: T }>> {
    return new Promise((resolve) => {
      const isWanted = (r: Reply): r is Extract<Reply, { type: T }> => r.type === type;
      const wait = (r: Reply) => {
        if (isWanted(r)) resolve(r);
        else this.waiting.push(wait);
      };
      this.waiting.push(wait);
      if (message && Object.keys(message).length > 0) this.child.send(message);
    });
  }

  /** The helper's process id (to pin it to a CPU). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  tell(message: object): void {
    this.child.send(message);
  }

  async exit(): Promise<void> {
    this.child.send({ cmd: 'exit' });
    await new Promise((r) => this.child.once('exit', r));
  }
}
