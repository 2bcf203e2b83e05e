/**
 * The demo room's admin link: the admin site's address with the demo key file in the URL fragment
 * (`/#demo-key=<base64url of the key file's JSON>`). A browser never sends a fragment to a server, so
 * the key goes from `serve`'s output to the admin page only; the page imports it and removes the
 * fragment from its address (`admin-site/lib/demo-key.ts` reads it).
 */
import { toBase64Url, utf8, type KeyFile } from '../../protocol/index.ts';

/** The fragment parameter that carries the key file; `admin-site/lib/demo-key.ts` reads the same name. */
export const DEMO_KEY_PARAM = 'demo-key';

/** The admin site at `siteUrl` (its root, e.g. `http://127.0.0.1:8787/`) with `file` in the fragment. */
export function demoAdminLink(siteUrl: string, file: KeyFile): string {
  const url = new URL(siteUrl);
  url.hash = `${DEMO_KEY_PARAM}=${toBase64Url(utf8(JSON.stringify(file)))}`;
  return url.toString();
}
