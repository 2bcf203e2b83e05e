/**
 * `FANOUT_PROFILE=DIR`: a CPU profile of the server's process for each relay run's fan-out window
 * only (the release accepted → the last byte at the last client), written to `DIR` as
 * `fanout-<round>-<proto>-<variant>.cpuprofile` — the bare runs, connects and setup that a
 * `--cpu-prof` of the whole benchmark mixes in are left out. Open it in Chrome's DevTools.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

/** A running window profile; `stop` writes it. Null without `FANOUT_PROFILE`. */
export interface WindowProfile {
  stop(name: string): Promise<void>;
}

/** Starts profiling this process now, if `FANOUT_PROFILE` names a directory. */
export async function startWindowProfile(): Promise<WindowProfile | null> {
  const dir = process.env.FANOUT_PROFILE;
  if (!dir) return null;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 250 });
  await session.post('Profiler.start');
  return {
    async stop(name) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await writeFile(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    },
  };
}
