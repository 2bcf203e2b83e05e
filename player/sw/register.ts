/** Registers the player's service worker (built into `play/sw.js` by `build-sw.mjs`), scoped to the player. */
export function registerServiceWorker(base: string): void {
  if (!('serviceWorker' in navigator)) return;
  const root = base.endsWith('/') ? base : `${base}/`;
  navigator.serviceWorker.register(`${root}play/sw.js`, { scope: `${root}play/` }).catch(() => {
    // No service worker (private mode, a plain-http host): the player still works, just not offline.
  });
}
