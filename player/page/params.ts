/** The player URL: `/play/?room=R&key=PUBKEY[&server=URL]`, validated (it comes from outside). */
import * as v from 'valibot';
import { ErrorCode, fail, ok, type Result } from '../../protocol/errors.ts';
import { PublicKeyText, RoomName } from '../../protocol/release.ts';

/** What the player page needs from its URL. */
export interface PlayerParams {
  readonly room: string;
  /** The room's pinned public key (base64url). */
  readonly key: string;
  /** The relay's HTTP origin (default: the page's own). */
  readonly server: string;
}

/** Reads and checks the player parameters from a query string. */
export function parsePlayerParams(search: string, origin: string): Result<PlayerParams> {
  const query = new URLSearchParams(search);
  const room = v.safeParse(RoomName, query.get('room') ?? '');
  if (!room.success)
    return fail(ErrorCode.BAD_MESSAGE, 'the URL needs ?room= (lower-case letters, digits, - and _)');
  const key = v.safeParse(PublicKeyText, query.get('key') ?? '');
  if (!key.success)
    return fail(ErrorCode.BAD_MESSAGE, "the URL needs &key= (the room's public key, base64url)");
  let server = origin;
  const given = query.get('server');
  if (given) {
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      return fail(ErrorCode.BAD_MESSAGE, '&server= is not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return fail(ErrorCode.BAD_MESSAGE, '&server= must be an http or https URL');
    }
    server = url.origin;
  }
  return ok({ room: room.output, key: key.output, server });
}
