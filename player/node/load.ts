/**
 * Loads the Node adapter on demand (the `patchcast` CLI loads it only for the commands that run
 * scripts: `play`, and the dry run before `publish`), so other commands never start its imports.
 */

/** The Node adapter (`index.ts`). */
export async function loadNodeAdapter(): Promise<typeof import('./index.ts')> {
  return import('./index.ts');
}

/** The part of the Node adapter a dry run uses (`dry-run.ts`): the sandbox and the contract check. */
export async function loadNodeDryRun(): Promise<typeof import('./dry-run.ts')> {
  return import('./dry-run.ts');
}
