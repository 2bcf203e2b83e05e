/**
 * What the admin chose and the browser remembers: the relay URL and the room being worked on.
 * Stored in `localStorage` (plain strings, re-validated on every read).
 */
import * as v from 'valibot';
import { RoomName } from '../../protocol/release.ts';

const RELAY_KEY = 'patchcast.admin.relay';
const ROOM_KEY = 'patchcast.admin.room';
const OPERATOR_KEY = 'patchcast.admin.operatorToken';

/** The subset of `Storage` these functions use, so tests can pass a plain object. */
export type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/**
 * Normalises a relay URL typed by a person: http(s) only, no query or fragment, no trailing slash.
 * Returns null when it is not such a URL.
 */
export function normalizeRelayUrl(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password) return null;
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** The relay URL: the stored one, else the origin the site is served from. */
export function getRelayUrl(storage: KeyValueStorage = localStorage, origin = location.origin): string {
  const stored = storage.getItem(RELAY_KEY);
  return (stored && normalizeRelayUrl(stored)) || origin;
}

/** Stores a relay URL; an empty string goes back to the default. Returns the URL now in force. */
export function setRelayUrl(
  text: string,
  storage: KeyValueStorage = localStorage,
  origin = location.origin,
): string {
  if (text.trim() === '') {
    storage.removeItem(RELAY_KEY);
    return origin;
  }
  const url = normalizeRelayUrl(text);
  if (!url) throw new TypeError('The relay URL must be an http:// or https:// address.');
  if (url === origin) storage.removeItem(RELAY_KEY);
  else storage.setItem(RELAY_KEY, url);
  return url;
}

/** True when the relay is not the site's own origin (player links then need `&server=`). */
export function isRelayElsewhere(relay: string, origin = location.origin): boolean {
  return relay !== origin;
}

/** The WebSocket URL of a relay's `/ws` endpoint. */
export function relayWebSocketUrl(relay: string): string {
  const url = new URL(`${relay}/ws`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/**
 * The relay's operator token, which creating a room takes (a room's first publish, a genesis
 * record); null when none is stored. Kept in this browser like the relay URL.
 */
export function getOperatorToken(
  storage: KeyValueStorage | null = globalThis.localStorage ?? null,
): string | null {
  const stored = storage?.getItem(OPERATOR_KEY) ?? null;
  return stored !== null && /^\S{16,}$/.test(stored) ? stored : null;
}

/** Stores the operator token; an empty string forgets it. */
export function setOperatorToken(text: string, storage: KeyValueStorage = localStorage): void {
  const token = text.trim();
  if (token === '') return storage.removeItem(OPERATOR_KEY);
  if (!/^\S{16,}$/.test(token))
    throw new TypeError('An operator token is at least 16 characters, without spaces.');
  storage.setItem(OPERATOR_KEY, token);
}

/** True when `text` is a valid room name. */
export function isRoomName(text: string): boolean {
  return v.is(RoomName, text);
}

/** The room being worked on, or null if none was chosen yet (or the stored one is invalid). */
export function getRoom(storage: KeyValueStorage = localStorage): string | null {
  const stored = storage.getItem(ROOM_KEY);
  return stored !== null && isRoomName(stored) ? stored : null;
}

/** Chooses the room to work on. */
export function setRoom(room: string, storage: KeyValueStorage = localStorage): void {
  if (!isRoomName(room)) throw new TypeError(`"${room}" is not a valid room name`);
  storage.setItem(ROOM_KEY, room);
}

/**
 * The player link for a room: `{origin}{base}play/?room=R&key=PK`, plus `&server=` when the relay is
 * not the site's own origin.
 */
export function playerLink(input: {
  readonly origin: string;
  readonly base: string;
  readonly room: string;
  readonly publicKey: string;
  readonly relay: string;
}): string {
  const base = input.base.endsWith('/') ? input.base : `${input.base}/`;
  const url = new URL(`${base}play/`, input.origin);
  url.searchParams.set('room', input.room);
  url.searchParams.set('key', input.publicKey);
  if (input.relay !== input.origin) url.searchParams.set('server', input.relay);
  return url.toString();
}
