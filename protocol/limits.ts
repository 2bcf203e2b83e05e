/**
 * Sizes and times that every part of Patchcast agrees on. A receiver enforces them; a sender that
 * respects them is never refused for size.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** Default maximum size of one frame's JSON body (TCP and WebSocket alike). */
export const MAX_FRAME_BYTES = 16 * MiB;

/** Default size of one blob chunk: small enough to verify and pass on early, big enough to be cheap. */
export const DEFAULT_CHUNK_SIZE = 64 * KiB;
/** Smallest chunk size a release may declare. */
export const MIN_CHUNK_SIZE = 1 * KiB;
/** Largest chunk size a release may declare (a chunk travels base64 in one frame). */
export const MAX_CHUNK_SIZE = 1 * MiB;
/** Most chunks one `blob.get` may ask for. */
export const MAX_CHUNKS_PER_REQUEST = 256;

/** Largest logic script, in bytes of UTF-8 source. */
export const MAX_SCRIPT_BYTES = 256 * KiB;
/** Largest config blob, in bytes of UTF-8 JSON. */
export const MAX_CONFIG_BYTES = 16 * KiB;
/** Largest texture, in bytes of the encoded image. */
export const MAX_TEXTURE_BYTES = 12 * MiB;
/** Largest texture edge in pixels (decoded textures cost width × height × 4 bytes of memory). */
export const MAX_TEXTURE_EDGE = 8192;
/** Most slots in one release. */
export const MAX_SLOTS = 16;

/** How far in the future a release's `createdAt` may be and still be accepted (clock skew). */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
/** Default lifetime of a release when the publisher does not choose one. */
export const DEFAULT_RELEASE_LIFETIME_MS = 90 * 24 * 60 * 60 * 1000;

/** Default heartbeat interval; a peer silent for {@link HEARTBEAT_MISSES} intervals is dropped. */
export const HEARTBEAT_INTERVAL_MS = 10_000;
/** Heartbeat intervals a connection may miss before it is dropped. */
export const HEARTBEAT_MISSES = 3;
/** Time a new connection has to say `hello`. */
export const HELLO_TIMEOUT_MS = 5_000;

/** Longest version label. */
export const MAX_VERSION_LENGTH = 64;
/** Longest release notes. */
export const MAX_NOTES_LENGTH = 2_000;
/** Longest free-text string a client reports (platform, error). */
export const MAX_CLIENT_TEXT_LENGTH = 1_000;

/** Longest error text a player keeps or sends in an `ack` (under {@link MAX_CLIENT_TEXT_LENGTH}). */
export const MAX_ERROR_TEXT = 500;

/** Chunks of one blob a player asks the relay for at once (its request window). */
export const CHUNK_WINDOW = 16;
/** With chunks asked for and none arriving for this long, a player asks again. */
export const CHUNK_STALL_MS = 8_000;
/** Bad chunks from the relay a player tolerates per blob before the fetch fails. */
export const MAX_BAD_CHUNKS = 3;

/** First reconnect delay of a client of the relay (see `backoff.ts`). */
export const RECONNECT_INITIAL_MS = 500;
/** Largest reconnect delay of a client of the relay. */
export const RECONNECT_MAX_MS = 15_000;

/**
 * What a relay that shuts down tells its clients by default: come back in this long (`error`
 * `SERVER_SHUTDOWN` with `retryAfterMs`). A restart usually takes about this.
 */
export const RESTART_HINT_MS = 1_000;
/** The largest restart hint a client takes. */
export const MAX_RESTART_HINT_MS = 60_000;
/**
 * After a restart hint that names no spread (`retrySpreadMs`), the first dials spread over this long
 * (jitter: not all in the same ms), and until the relay is back a client dials about this often.
 */
export const RESTART_SPREAD_MS = 500;
/** Until the relay is back, a client told of a restart dials again about this often (jittered). */
export const RESTART_POLL_MS = 500;
/**
 * The spread a relay names when it restarts (`retrySpreadMs`): this much per client it had — about
 * what a client's return costs it (accept, hello, welcome, the release it missed) — so that clients
 * come back about as fast as it can take them, neither all in one burst nor later than needed.
 */
export const RESTART_SPREAD_PER_CLIENT_MS = 0.25;
/** The least spread a relay names (a few clients: still not in the same millisecond). */
export const MIN_RESTART_SPREAD_MS = 100;
/** The largest spread a client takes. */
export const MAX_RESTART_SPREAD_MS = 30_000;
/**
 * Dials to a relay that is not back yet come at least this far apart, every one of them (each wait
 * is half to one and a half of the poll, or from this floor to a poll past it when that half is
 * shorter; a refused dial is cheap, but not free).
 */
export const MIN_RESTART_POLL_MS = 250;
/** How long after a restart hint a client keeps dialling that often, before the usual backoff. */
export const RESTART_WINDOW_MS = 60_000;

/**
 * A blob of at most this many bytes (a script, a config, a small texture: one default chunk) is
 * pushed by the relay right behind the `release` that names it, to a client whose hello said
 * `pushBlobs`: its chunks come unasked, in the same write as the release, instead of after a
 * `blob.get` round trip (the relay's default; `patchcast serve --push-max-bytes`). A player that will
 * fetch the blob gets the same bytes either way; under an egress limit nothing is pushed.
 */
export const PUSH_BLOB_MAX_BYTES = 64 * 1024;
/** Pushed chunks a client keeps at most while no fetch wants them yet (past it, it asks as usual). */
export const PUSHED_KEEP_MAX_BYTES = 256 * 1024;
