/**
 * Loads the Node adapter on demand (the `patchcast` CLI loads it only for the commands that run
 * scripts: `play`, and the dry run before `publish`), so other commands never start its imports.
 */

/** The Node adapter (`index.ts`). */
export async function loadNodeAdapter(): Promise<typeof import('./index.ts')> {
  return import('./index.ts');
}
