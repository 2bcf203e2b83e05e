// Preloaded (`node --import`) into each process `npm run bench -- cli` times: as the process exits,
// its CPU time (every thread: the dry run's worker too) and peak memory go to the file named by
// PATCHCAST_BENCH_CPU_FILE. The benchmark reads it; the command itself is untouched.
import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const file = process.env.PATCHCAST_BENCH_CPU_FILE;
if (file && isMainThread) {
  process.on('exit', () => {
    const { user, system } = process.cpuUsage();
    writeFileSync(file, JSON.stringify({ user, system, maxRssKiB: process.resourceUsage().maxRSS }));
  });
}
