/**
 * The demo room's admin link. `patchcast serve` prints the admin site's address with the demo room's
 * key file in the fragment, `/#demo-key=<base64url of the key file's JSON>`
 * (`signaling/demo/admin-link.ts`), so `npm start` needs no manual key import. A browser never sends
 * a fragment to a server.
 *
 * Any admin page that opens with such a fragment first takes it out of the address bar (so reloads,
 * back/forward, bookmarks and copied addresses no longer carry the key; the browser's own history list
 * still records the visited URL, which no page can erase), then imports the key exactly as the Room &
 * keys page imports a CLI key file, and selects its room. It never replaces another key the browser
 * holds for the room: that needs the page's import, where the admin confirms it.
 */
import { fromBase64Url, fromUtf8 } from '../../protocol/bytes.ts';
import { parseKeyFile, type KeyFile } from '../../protocol/keys.ts';
import { importKeyFile, keyStore } from './keystore.ts';
import { RelayApi } from '../../publisher/relay-api.ts';
import { getRelayUrl, setRoom, type KeyValueStorage } from './settings.ts';

/** Whether the relay says it trusts a key for a room (it is the relay that printed the link). */
export type Vouch = (room: string, keyId: string) => Promise<boolean>;

/**
 * Asks the configured relay whether it trusts the key. Only a key of the running demo room is
 * imported, so a crafted link can't plant a key of the sender's choosing in a visitor's browser.
 */
export const relayVouches: Vouch = async (room, keyId) => {
  const keys = await new RelayApi(getRelayUrl()).keys(room).catch(() => null);
  return keys?.keys.some((k) => k.keyId === keyId) ?? false;
};

/** The fragment parameter that carries the key file (the name `signaling/demo/admin-link.ts` writes). */
export const DEMO_KEY_PARAM = 'demo-key';
/** The only room a link may carry a key for (`signaling/demo/demo-room.ts`). */
export const DEMO_ROOM = 'demo';
/** A key file's JSON is about 300 bytes; anything far longer is not one. */
const MAX_PARAM_LENGTH = 4096;

/** What the address's fragment holds. */
export type DemoKeyFragment =
  | { readonly kind: 'none' }
  | { readonly kind: 'key'; readonly room: string; readonly file: KeyFile }
  | { readonly kind: 'bad'; readonly message: string };

const bad = (message: string): DemoKeyFragment => ({ kind: 'bad', message });

/**
 * Reads a `location.hash`. `none` when it has no `demo-key` parameter; `bad` (with the reason) when the
 * parameter is not the base64url of a valid key file of the demo room.
 */
export function parseDemoKeyFragment(hash: string): DemoKeyFragment {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const values = params.getAll(DEMO_KEY_PARAM);
  const [value] = values;
  if (value === undefined) return { kind: 'none' };
  if (values.length > 1) return bad('it holds more than one key');
  if (value.length > MAX_PARAM_LENGTH) return bad('it is far too long to be a key file');
  let text: string;
  try {
    text = fromUtf8(fromBase64Url(value));
  } catch {
    return bad('it is not base64url-encoded UTF-8 text');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return bad('it is not JSON');
  }
  const parsed = parseKeyFile(json);
  if (!parsed.ok) return bad(`it is not a Patchcast key file (${parsed.message})`);
  const room = parsed.value.room ?? DEMO_ROOM;
  // A link could plant a key for any room in a visitor's browser; only the demo room's is welcome.
  if (room !== DEMO_ROOM) {
    return bad(`it holds a key for room “${room}”, and a link may only carry the demo room’s key`);
  }
  return { kind: 'key', room, file: parsed.value };
}

/** `href` without its fragment (what goes back into the address bar). */
export function withoutFragment(href: string): string {
  const url = new URL(href);
  url.hash = '';
  return url.href;
}

/** What opening the page did with the address's fragment. */
export type DemoKeyOutcome =
  | { readonly kind: 'none' }
  | { readonly kind: 'bad'; readonly message: string }
  | { readonly kind: 'imported'; readonly room: string; readonly keyId: string }
  | { readonly kind: 'already'; readonly room: string; readonly keyId: string }
  | {
      readonly kind: 'conflict';
      readonly room: string;
      readonly existingKeyId: string;
      readonly linkKeyId: string;
    };

/**
 * Takes a demo key out of the address and imports it. The fragment leaves the address bar before
 * anything else happens (synchronously, whether or not it is valid); a valid key is then stored for
 * its room, which becomes the working room. Never throws: a failure is a `bad` outcome.
 */
export async function takeDemoKey(
  place: Pick<Location, 'hash' | 'href'> = location,
  hist: Pick<History, 'replaceState' | 'state'> = history,
  store = keyStore(),
  storage: KeyValueStorage = localStorage,
  vouch: Vouch = relayVouches,
): Promise<DemoKeyOutcome> {
  const fragment = parseDemoKeyFragment(place.hash);
  if (fragment.kind === 'none') return fragment;
  hist.replaceState(hist.state, '', withoutFragment(place.href));
  if (fragment.kind === 'bad') return fragment;
  const { room, file } = fragment;
  if (!(await vouch(room, file.keyId))) {
    return {
      kind: 'bad',
      message: `the relay does not trust key ${file.keyId} for room ${room}; not imported`,
    };
  }
  try {
    const done = await importKeyFile(room, file, {}, store);
    if (done.kind === 'conflict') {
      return { kind: 'conflict', room, existingKeyId: done.existing.keyId, linkKeyId: done.keyId };
    }
    setRoom(room, storage);
    return { kind: done.kind === 'saved' ? 'imported' : 'already', room, keyId: done.key.keyId };
  } catch (error) {
    return { kind: 'bad', message: error instanceof Error ? error.message : String(error) };
  }
}

let taken: Promise<DemoKeyOutcome> | undefined;

/**
 * {@link takeDemoKey} for this page, once: the layout and the page's own script both wait for it
 * before reading the working room and key.
 */
export function demoKeyFromAddress(): Promise<DemoKeyOutcome> {
  taken ??= takeDemoKey();
  return taken;
}

/**
 * Opening the link in a tab that already shows that admin page only changes the fragment: no page
 * load, no import. Reload then, so the page starts over with the key in its address.
 */
export function reloadOnDemoKeyLink(): void {
  addEventListener('hashchange', () => {
    if (parseDemoKeyFragment(location.hash).kind !== 'none') location.reload();
  });
}

/** A notice for the admin, in words: what kind of message, its text and an optional detail. */
export interface Notice {
  readonly kind: 'ok' | 'info' | 'warn' | 'error';
  readonly text: string;
  readonly detail?: string;
}

/** The notice an outcome deserves, or null when the address had no demo key. */
export function demoKeyNotice(outcome: DemoKeyOutcome): Notice | null {
  switch (outcome.kind) {
    case 'none':
      return null;
    case 'imported':
      return {
        kind: 'ok',
        text: `Demo key imported for room ${outcome.room}`,
        detail: `Key ${outcome.keyId}, from the link printed by patchcast serve; it is now stored in this browser and the link was cleared from the address bar.`,
      };
    case 'already':
      return {
        kind: 'info',
        text: `The demo key for room ${outcome.room} is already in this browser (key ${outcome.keyId}).`,
      };
    case 'conflict':
      return {
        kind: 'warn',
        text: `This browser already holds another key for room ${outcome.room}; the link’s key was not imported.`,
        detail: `Kept key ${outcome.existingKeyId}; the link carries key ${outcome.linkKeyId}. To use the link’s key instead, import the demo key file on the Room & keys page.`,
      };
    case 'bad':
      return {
        kind: 'error',
        text: 'The demo key in this link could not be used: nothing was imported.',
        detail: `The link is damaged: ${outcome.message}.`,
      };
  }
}
