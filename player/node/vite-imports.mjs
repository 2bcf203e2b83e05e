// A Node module hook for the Vite-only imports the shared player code makes: the browser sandbox's
// worker URL and engine URL (`./sandbox.worker.ts?worker&url`, `…/wasm?url`, both in
// `player/sandbox/browser-worker.ts`). Under Vite (the page's build, vitest) Vite answers them;
// plain Node can't, yet a headless player imports the sandbox's page side, which names the browser
// spawner as its default. The Node adapter always passes its own spawner, so the URLs are never used
// here: they resolve to an empty string.
export async function resolve(specifier, context, nextResolve) {
  if (/\?(worker&)?url$/.test(specifier)) {
    return { url: 'data:text/javascript,export%20default%20%22%22%3B', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
