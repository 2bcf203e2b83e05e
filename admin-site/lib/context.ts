/**
 * What every admin page starts from: the relay URL, the room being worked on and this browser's key
 * for it (if any).
 */
import { demoKeyFromAddress } from './demo-key.ts';
import { loadKey, type StoredKey } from './keystore.ts';
import { getRelayUrl, getRoom } from './settings.ts';

/** The working context of the admin pages. */
export interface AdminContext {
  readonly relay: string;
  readonly room: string | null;
  readonly key: StoredKey | null;
}

/**
 * Reads the working context from local storage and IndexedDB, once a demo key link (if the page was
 * opened with one) has been imported.
 */
export async function loadContext(): Promise<AdminContext> {
  await demoKeyFromAddress();
  const relay = getRelayUrl();
  const room = getRoom();
  const key = room === null ? null : await loadKey(room);
  return { relay, room, key };
}

/** The site's base path with a trailing slash (`/`, or `/admin/` when built with a base). */
export function basePath(): string {
  const base = import.meta.env.BASE_URL;
  return base.endsWith('/') ? base : `${base}/`;
}
