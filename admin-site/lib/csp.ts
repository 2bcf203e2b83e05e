/**
 * The Content-Security-Policy of every page of the site — the admin pages and the player page — set
 * as a `<meta>` tag (production builds only: the dev server injects inline scripts), so it travels
 * with the static files to any host.
 *
 * - `script-src 'self' 'wasm-unsafe-eval'`, `worker-src 'self'`: code and workers load only from
 *   this origin; `'wasm-unsafe-eval'` lets the page compile the script sandbox's engine (QuickJS in
 *   WebAssembly) once and hand it to each sandbox worker. The worker starts from its own URL under
 *   its own, stricter policy (docs/security.md, "Script sandbox").
 * - `connect-src 'self' http: https: ws: wss:`: the relay is a run-time setting (`&server=` for the
 *   player, `localStorage` for the admin), possibly another origin. A static site has no server to
 *   write the chosen relay into a header, and a policy can only be tightened from within the page,
 *   never widened — so it allows any http(s)/ws(s) origin, and refuses every other scheme.
 * - `style-src 'unsafe-inline'`: `style="…"` attributes, the stylesheet Astro inlines (uPlot's) and
 *   CodeMirror's injected styles. Styles can't run code; nothing here sets `innerHTML`.
 * - `img-src blob: data:`: texture previews (`blob:`) and the inline favicon (`data:`).
 * - `form-action 'none'`: every form is handled by script; none may ever submit (a passphrase in a
 *   URL) if a script failed to load.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self' http: https: ws: wss:",
  "img-src 'self' blob: data:",
  "style-src 'self' 'unsafe-inline'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
