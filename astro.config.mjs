// @ts-check
import { defineConfig } from 'astro/config';

// One static build: the admin site and the player page (/play/) land in dist/.
// PATCHCAST_BASE lets the same site be hosted under a sub-path of any static host.
export default defineConfig({
  srcDir: './admin-site',
  outDir: './dist',
  output: 'static',
  base: process.env.PATCHCAST_BASE ?? '/',
  trailingSlash: 'ignore',
  build: { format: 'directory' },
  server: { host: '127.0.0.1' },
  devToolbar: { enabled: false },
});
