// `npm run build`: the game bundled with plain esbuild (no plugin, no bundler-specific import) into
// dist/game.js, the page beside it, and the two files of Patchcast's script sandbox copied from the
// installed package (the worker and its engine: the page passes their URLs to browserSandbox).
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
await build({
  entryPoints: ['src/main.ts'],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  outfile: 'dist/game.js',
  logLevel: 'warning',
});
copyFileSync('src/index.html', 'dist/index.html');
copyFileSync(require.resolve('patchcast/sandbox.worker.js'), 'dist/sandbox.worker.js');
copyFileSync(require.resolve('patchcast/quickjs.wasm'), 'dist/quickjs.wasm');
console.log('arena: built dist/index.html');
