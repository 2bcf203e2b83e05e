// A Node module hook for the one Vite-only import the shared player code makes: the browser
// sandbox's worker URL (`./sandbox.worker.ts?worker&url`, `player/sandbox/browser-worker.ts`). Under
// Vite (the page's build, vitest) Vite answers it; plain Node can't, yet a headless player imports
// the sandbox's page side, which names the browser spawner as its default. The Node adapter always
// passes its own spawner, so the URL is never used here: it resolves to an empty string.
export async function resolve(specifier, context, nextResolve) {
  if (/\?worker&url$/.test(specifier)) {
    return { url: 'data:text/javascript,export%20default%20%22%22%3B', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
