#!/usr/bin/env node
// Runs the whole test suite. Where we may create a network namespace (root, as on this machine and in
// CI), every test runs inside a fresh one with only `lo` up, so nothing a test starts — servers,
// WebRTC peers, Chromium — can reach any address but loopback. Elsewhere the tests run as they are
// (they still bind 127.0.0.1 and use `iceServers: []`).
import { spawnSync } from 'node:child_process';

const vitest = ['node_modules/.bin/vitest', 'run', ...process.argv.slice(2)];

function canIsolate() {
  if (process.platform !== 'linux' || process.env.PATCHCAST_NO_NETNS === '1') return false;
  const probe = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' });
  return probe.status === 0;
}

const isolated = canIsolate();
const env = { ...process.env, PATCHCAST_NETNS: isolated ? '1' : '0' };
console.log(
  isolated ? 'tests: inside a loopback-only network namespace' : 'tests: no network namespace available',
);
const result = isolated
  ? spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...vitest], {
      stdio: 'inherit',
      env,
    })
  : spawnSync(vitest[0], vitest.slice(1), { stdio: 'inherit', env });
process.exit(result.status ?? 1);
