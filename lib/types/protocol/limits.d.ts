/**
 * Sizes and times that every part of Patchcast agrees on. A receiver enforces them; a sender that
 * respects them is never refused for size.
 */
/** Default maximum size of one frame's JSON body (TCP and WebSocket alike). */
export declare const MAX_FRAME_BYTES: number;
/** Default size of one blob chunk: small enough to verify and pass on early, big enough to be cheap. */
export declare const DEFAULT_CHUNK_SIZE: number;
/** Smallest chunk size a release may declare. */
export declare const MIN_CHUNK_SIZE: number;
/** Largest chunk size a release may declare (a chunk travels base64 in one frame). */
export declare const MAX_CHUNK_SIZE: number;
/** Most chunks one `blob.get` may ask for. */
export declare const MAX_CHUNKS_PER_REQUEST = 256;
/** Largest logic script, in bytes of UTF-8 source. */
export declare const MAX_SCRIPT_BYTES: number;
/** Largest config blob, in bytes of UTF-8 JSON. */
export declare const MAX_CONFIG_BYTES: number;
/** Largest texture, in bytes of the encoded image. */
export declare const MAX_TEXTURE_BYTES: number;
/** Largest texture edge in pixels (decoded textures cost width × height × 4 bytes of memory). */
export declare const MAX_TEXTURE_EDGE = 8192;
/** Most slots in one release. */
export declare const MAX_SLOTS = 16;
/** How far in the future a release's `createdAt` may be and still be accepted (clock skew). */
export declare const MAX_CLOCK_SKEW_MS: number;
/** Default lifetime of a release when the publisher does not choose one. */
export declare const DEFAULT_RELEASE_LIFETIME_MS: number;
/** Default heartbeat interval; a peer silent for {@link HEARTBEAT_MISSES} intervals is dropped. */
export declare const HEARTBEAT_INTERVAL_MS = 10000;
/** Heartbeat intervals a connection may miss before it is dropped. */
export declare const HEARTBEAT_MISSES = 3;
/** Time a new connection has to say `hello`. */
export declare const HELLO_TIMEOUT_MS = 5000;
/** Longest version label. */
export declare const MAX_VERSION_LENGTH = 64;
/** Longest release notes. */
export declare const MAX_NOTES_LENGTH = 2000;
/** Longest free-text string a client reports (platform, error). */
export declare const MAX_CLIENT_TEXT_LENGTH = 1000;
/** Longest error text a player keeps or sends in an `ack` (under {@link MAX_CLIENT_TEXT_LENGTH}). */
export declare const MAX_ERROR_TEXT = 500;
/** Chunks of one blob a player asks the relay for at once (its request window). */
export declare const CHUNK_WINDOW = 16;
/** With chunks asked for and none arriving for this long, a player asks again. */
export declare const CHUNK_STALL_MS = 8000;
/** Bad chunks from the relay a player tolerates per blob before the fetch fails. */
export declare const MAX_BAD_CHUNKS = 3;
/** First reconnect delay of a client of the relay (see `backoff.ts`). */
export declare const RECONNECT_INITIAL_MS = 500;
/** Largest reconnect delay of a client of the relay. */
export declare const RECONNECT_MAX_MS = 15000;
