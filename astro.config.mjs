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
  // The script sandbox's worker is one self-contained ES module: it runs under its own CSP
  // (`default-src 'none'`), which lets it load no further chunk (docs/security.md).
  vite: {
    worker: { format: 'es', rollupOptions: { output: { inlineDynamicImports: true } } },
  },
});
