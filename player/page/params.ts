/**
 * The player URL: `/play/?room=R&key=PUBKEY[&server=URL[,URL…]][&p2p=off][&ice=URLS&iceUser=U&iceCredential=C]`,
 * validated (it comes from outside). Several relays in `server`: the player moves to the next when
 * its relay dies.
 */
import * as v from 'valibot';
import { ErrorCode, fail, ok, type Result } from '../../protocol/errors.ts';
import { PublicKeyText, RoomName } from '../../protocol/release.ts';

/** What the player page needs from its URL. */
export interface PlayerParams {
  readonly room: string;
  /** The room's pinned public key (base64url). */
  readonly key: string;
  /** The relay's HTTP origin (default: the page's own); the first of `servers`. */
  readonly server: string;
  /** Every relay the player may use, in order of preference (failover). */
  readonly servers: readonly string[];
  /** Whether to join the room's swarm (default yes; `&p2p=off` for relay only). */
  readonly p2p: boolean;
  /** STUN/TURN servers for WebRTC (default none). */
  readonly iceServers: readonly RTCIceServer[];
}

/** The most relays a player URL may list. */
export const MAX_RELAYS = 8;

/** A STUN or TURN server URL (RFC 7064/7065), as `RTCIceServer.urls` takes it. */
const IceUrl = v.pipe(
  v.string(),
  v.regex(/^(stuns?|turns?):[A-Za-z0-9.[\]:-]{1,253}(\?transport=(udp|tcp))?$/, 'not a stun: or turn: URL'),
);
const IceUrls = v.pipe(v.array(IceUrl), v.maxLength(8, 'at most 8 ICE server URLs'));
const IceSecret = v.pipe(v.string(), v.minLength(1), v.maxLength(256), v.regex(/^[\x21-\x7e]+$/));

/** `&ice=stun:h:3478,turn:h:3478` (+ `&iceUser=`, `&iceCredential=` for the TURN ones) → ICE servers. */
export function parseIceServers(query: URLSearchParams): Result<RTCIceServer[]> {
  const given = query.get('ice');
  if (!given) return ok([]);
  const urls = v.safeParse(IceUrls, given.split(','));
  if (!urls.success) return fail(ErrorCode.BAD_MESSAGE, `&ice=: ${urls.issues[0].message}`);
  const stun = urls.output.filter((u) => u.startsWith('stun'));
  const turn = urls.output.filter((u) => u.startsWith('turn'));
  const servers: RTCIceServer[] = stun.length > 0 ? [{ urls: stun }] : [];
  if (turn.length > 0) {
    const username = v.safeParse(IceSecret, query.get('iceUser') ?? '');
    const credential = v.safeParse(IceSecret, query.get('iceCredential') ?? '');
    if (!username.success || !credential.success) {
      return fail(ErrorCode.BAD_MESSAGE, 'a turn: URL needs &iceUser= and &iceCredential=');
    }
    servers.push({ urls: turn, username: username.output, credential: credential.output });
  }
  return ok(servers);
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
  const servers: string[] = [];
  const given = query.get('server');
  const list = given ? given.split(',') : [];
  if (list.length > MAX_RELAYS)
    return fail(ErrorCode.BAD_MESSAGE, `&server= names at most ${MAX_RELAYS} relays`);
  for (const item of list) {
    let url: URL;
    try {
      url = new URL(item.trim());
    } catch {
      return fail(ErrorCode.BAD_MESSAGE, '&server= is not a URL (or a comma list of URLs)');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return fail(ErrorCode.BAD_MESSAGE, '&server= must be an http or https URL');
    }
    if (!servers.includes(url.origin)) servers.push(url.origin);
  }
  if (servers.length === 0) servers.push(origin);
  const server = servers[0]!;
  const p2p = query.get('p2p');
  if (p2p !== null && !['on', 'off', '1', '0'].includes(p2p)) {
    return fail(ErrorCode.BAD_MESSAGE, '&p2p= is on or off');
  }
  const iceServers = parseIceServers(query);
  if (!iceServers.ok) return iceServers;
  return ok({
    room: room.output,
    key: key.output,
    server,
    servers,
    p2p: p2p !== 'off' && p2p !== '0',
    iceServers: iceServers.value,
  });
}
