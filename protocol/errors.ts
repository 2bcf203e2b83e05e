/**
 * Every error code Patchcast puts on the wire or returns from a check, in one list.
 *
 * Codes are stable strings: tools match on them, people read the message beside them.
 */
export const ErrorCode = {
  // Frame codec
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  FRAME_TRUNCATED: 'FRAME_TRUNCATED',
  BAD_UTF8: 'BAD_UTF8',
  BAD_JSON: 'BAD_JSON',
  // Message validation
  BAD_MESSAGE: 'BAD_MESSAGE',
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  // Release acceptance (the refusal codes of `acceptRelease`)
  BAD_RELEASE: 'BAD_RELEASE',
  WRONG_ROOM: 'WRONG_ROOM',
  UNKNOWN_KEY: 'UNKNOWN_KEY',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  STALE_SEQ: 'STALE_SEQ',
  EXPIRED: 'EXPIRED',
  FROM_FUTURE: 'FROM_FUTURE',
  BAD_SLOT: 'BAD_SLOT',
  // Blobs and content
  HASH_MISMATCH: 'HASH_MISMATCH',
  BLOB_MISSING: 'BLOB_MISSING',
  TOO_LARGE: 'TOO_LARGE',
  BAD_IMAGE: 'BAD_IMAGE',
  BAD_CONFIG: 'BAD_CONFIG',
  BAD_SCRIPT: 'BAD_SCRIPT',
  /** An upload of a blob that no verified release of a room names (publish the release first). */
  UPLOAD_NOT_EXPECTED: 'UPLOAD_NOT_EXPECTED',
  /** A room's quota (bytes, blobs) or an address's quota of rooms is used up. */
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  /** A request body sent compressed (`Content-Encoding`): the relay reads only plain bodies. */
  UNSUPPORTED_ENCODING: 'UNSUPPORTED_ENCODING',
  // Operators
  /** Creating a room takes the relay's operator token (`Authorization: Bearer …`). */
  OPERATOR_REQUIRED: 'OPERATOR_REQUIRED',
  /** The relay serves no room to seed-protocol clients (its operator named none). */
  NO_SEED_ROOM: 'NO_SEED_ROOM',
  // Connections
  HELLO_REQUIRED: 'HELLO_REQUIRED',
  HELLO_TIMEOUT: 'HELLO_TIMEOUT',
  HEARTBEAT_TIMEOUT: 'HEARTBEAT_TIMEOUT',
  TOO_SLOW: 'TOO_SLOW',
  /** An HTTP client did not send its headers, or its whole request, in the time the relay allows. */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  NO_SUCH_ROOM: 'NO_SUCH_ROOM',
  /** The relay found the room's files damaged at start: it serves nothing and accepts nothing there. */
  ROOM_QUARANTINED: 'ROOM_QUARANTINED',
  FORBIDDEN: 'FORBIDDEN',
  /** A `roster.auth` that no trusted key of the room signed. */
  NOT_AUTHORIZED: 'NOT_AUTHORIZED',
  /** A PeerJS id the relay will not list: another session's, registered elsewhere, over a cap. */
  PEER_ID_REFUSED: 'PEER_ID_REFUSED',
  SERVER_SHUTDOWN: 'SERVER_SHUTDOWN',
  INTERNAL: 'INTERNAL',
  /** A release label the room already used for other content (label → one set of slot blobs). */
  DUPLICATE_VERSION: 'DUPLICATE_VERSION',
  /** A guarded rollout the relay does not hold (none running, or another one than the command names). */
  NO_SUCH_PLAN: 'NO_SUCH_PLAN',
  /** A guarded rollout the relay refuses: its releases don't chain, or another plan runs in the room. */
  BAD_PLAN: 'BAD_PLAN',
  /** A key set record whose version is not above the room's current one (a replay changes nothing). */
  STALE_KEY_SET: 'STALE_KEY_SET',
  /** A connection or request over a per-address or global rate or count limit of the relay. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The relay's disk is full (or refuses writes): nothing was stored; try again after space is freed. */
  STORAGE_FULL: 'STORAGE_FULL',
  /**
   * The newest key set of a room (as the relay or the player knows it) is past its signed `expires`:
   * the relay refuses publishes until the keys re-sign a set with a later expiry; a player takes no
   * new release (a relay may be withholding the newer set: a freeze).
   */
  KEY_SET_EXPIRED: 'KEY_SET_EXPIRED',
  /**
   * A player's whole-blob `GET` (`PLAYER_BLOB_HEADER`) that a relay under an egress limit will not
   * serve: the player takes the blob chunk by chunk over its connection (the swarm may carry it).
   */
  BLOB_DEFERRED: 'BLOB_DEFERRED',
} as const;

/** One of the codes of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** True when `value` is one of the known error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ErrorCode, value);
}

/** A value or a typed error: what every validator and check in `protocol/` returns. */
export type Result<T, C extends ErrorCode = ErrorCode> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: C; readonly message: string };

/** Builds the success side of a {@link Result}. */
export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

/** Builds the failure side of a {@link Result}. */
export function fail<C extends ErrorCode>(
  code: C,
  message: string,
): { readonly ok: false; readonly code: C; readonly message: string } {
  return { ok: false, code, message };
}

/**
 * Close codes for WebSocket connections (4000–4999 is the application range), named like the errors
 * that cause them. TCP connections send the same code in their final `error` frame.
 */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  /** Sent by a player: the relay said nothing for too long, so it closes and dials again. */
  RELAY_SILENT: 4000,
  /** Sent by a player: it closes to say `hello` again (its PeerJS id changed); not an error. */
  REHELLO: 4001,
  BAD_MESSAGE: 4400,
  FORBIDDEN: 4403,
  HELLO_TIMEOUT: 4408,
  HEARTBEAT_TIMEOUT: 4410,
  FRAME_TOO_LARGE: 4413,
  TOO_SLOW: 4429,
  TOO_MANY_CONNECTIONS: 4430,
  INTERNAL: 4500,
} as const;

/** One of the codes of {@link CloseCode}. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
