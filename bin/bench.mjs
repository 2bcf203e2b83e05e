#!/usr/bin/env node
// `npm run bench -- <name> [options]`: runs the benchmark `bench/<name>.ts` (or `bench/<name>/main.ts`)
// under tsx, calling its exported `main(argv)` for the exit code. The PeerJS server and some
// benchmarks keep timers alive, so the runner exits explicitly.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const [name, ...argv] = process.argv.slice(2);
const root = fileURLToPath(new URL('../bench/', import.meta.url));
const candidates = name ? [`${name}.ts`, `${name}/main.ts`, `${name}/index.ts`] : [];
const file = candidates.map((c) => root + c).find((p) => existsSync(p));
if (!file) {
  process.stderr.write(
    `usage: npm run bench -- <name> [options]\n${name ? `no benchmark named ${name}\n` : ''}`,
  );
  process.exit(2);
}
const mod = await import(pathToFileURL(file).href);
const code = typeof mod.main === 'function' ? await mod.main(argv) : 0;
process.exit(typeof code === 'number' ? code : 0);
