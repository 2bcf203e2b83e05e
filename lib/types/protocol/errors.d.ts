/**
 * Every error code Patchcast puts on the wire or returns from a check, in one list.
 *
 * Codes are stable strings: tools match on them, people read the message beside them.
 */
export declare const ErrorCode: {
    readonly FRAME_TOO_LARGE: "FRAME_TOO_LARGE";
    readonly FRAME_TRUNCATED: "FRAME_TRUNCATED";
    readonly BAD_UTF8: "BAD_UTF8";
    readonly BAD_JSON: "BAD_JSON";
    readonly BAD_MESSAGE: "BAD_MESSAGE";
    readonly UNKNOWN_TYPE: "UNKNOWN_TYPE";
    readonly BAD_RELEASE: "BAD_RELEASE";
    readonly WRONG_ROOM: "WRONG_ROOM";
    readonly UNKNOWN_KEY: "UNKNOWN_KEY";
    readonly BAD_SIGNATURE: "BAD_SIGNATURE";
    readonly STALE_SEQ: "STALE_SEQ";
    readonly EXPIRED: "EXPIRED";
    readonly FROM_FUTURE: "FROM_FUTURE";
    readonly BAD_SLOT: "BAD_SLOT";
    readonly HASH_MISMATCH: "HASH_MISMATCH";
    readonly BLOB_MISSING: "BLOB_MISSING";
    readonly TOO_LARGE: "TOO_LARGE";
    readonly BAD_IMAGE: "BAD_IMAGE";
    readonly BAD_CONFIG: "BAD_CONFIG";
    readonly BAD_SCRIPT: "BAD_SCRIPT";
    /** An upload of a blob that no verified release of a room names (publish the release first). */
    readonly UPLOAD_NOT_EXPECTED: "UPLOAD_NOT_EXPECTED";
    /** A room's quota (bytes, blobs) or an address's quota of rooms is used up. */
    readonly QUOTA_EXCEEDED: "QUOTA_EXCEEDED";
    /** A request body sent compressed (`Content-Encoding`): the relay reads only plain bodies. */
    readonly UNSUPPORTED_ENCODING: "UNSUPPORTED_ENCODING";
    /** Creating a room takes the relay's operator token (`Authorization: Bearer …`). */
    readonly OPERATOR_REQUIRED: "OPERATOR_REQUIRED";
    /** The relay serves no room to seed-protocol clients (its operator named none). */
    readonly NO_SEED_ROOM: "NO_SEED_ROOM";
    readonly HELLO_REQUIRED: "HELLO_REQUIRED";
    readonly HELLO_TIMEOUT: "HELLO_TIMEOUT";
    readonly HEARTBEAT_TIMEOUT: "HEARTBEAT_TIMEOUT";
    readonly TOO_SLOW: "TOO_SLOW";
    /** An HTTP client did not send its headers, or its whole request, in the time the relay allows. */
    readonly REQUEST_TIMEOUT: "REQUEST_TIMEOUT";
    readonly TOO_MANY_CONNECTIONS: "TOO_MANY_CONNECTIONS";
    readonly NO_SUCH_ROOM: "NO_SUCH_ROOM";
    /** The relay found the room's files damaged at start: it serves nothing and accepts nothing there. */
    readonly ROOM_QUARANTINED: "ROOM_QUARANTINED";
    readonly FORBIDDEN: "FORBIDDEN";
    /** A `roster.auth` that no trusted key of the room signed. */
    readonly NOT_AUTHORIZED: "NOT_AUTHORIZED";
    /** A PeerJS id the relay will not list: another session's, registered elsewhere, over a cap. */
    readonly PEER_ID_REFUSED: "PEER_ID_REFUSED";
    readonly SERVER_SHUTDOWN: "SERVER_SHUTDOWN";
    readonly INTERNAL: "INTERNAL";
};
/** One of the codes of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
/** True when `value` is one of the known error codes. */
export declare function isErrorCode(value: unknown): value is ErrorCode;
/** A value or a typed error: what every validator and check in `protocol/` returns. */
export type Result<T, C extends ErrorCode = ErrorCode> = {
    readonly ok: true;
    readonly value: T;
} | {
    readonly ok: false;
    readonly code: C;
    readonly message: string;
};
/** Builds the success side of a {@link Result}. */
export declare function ok<T>(value: T): {
    readonly ok: true;
    readonly value: T;
};
/** Builds the failure side of a {@link Result}. */
export declare function fail<C extends ErrorCode>(code: C, message: string): {
    readonly ok: false;
    readonly code: C;
    readonly message: string;
};
/**
 * Close codes for WebSocket connections (4000–4999 is the application range), named like the errors
 * that cause them. TCP connections send the same code in their final `error` frame.
 */
export declare const CloseCode: {
    readonly NORMAL: 1000;
    readonly GOING_AWAY: 1001;
    /** Sent by a player: the relay said nothing for too long, so it closes and dials again. */
    readonly RELAY_SILENT: 4000;
    /** Sent by a player: it closes to say `hello` again (its PeerJS id changed); not an error. */
    readonly REHELLO: 4001;
    readonly BAD_MESSAGE: 4400;
    readonly FORBIDDEN: 4403;
    readonly HELLO_TIMEOUT: 4408;
    readonly HEARTBEAT_TIMEOUT: 4410;
    readonly FRAME_TOO_LARGE: 4413;
    readonly TOO_SLOW: 4429;
    readonly TOO_MANY_CONNECTIONS: 4430;
    readonly INTERNAL: 4500;
};
/** One of the codes of {@link CloseCode}. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
