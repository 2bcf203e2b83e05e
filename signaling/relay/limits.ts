/**
 * The relay service's limits and their defaults, in a module of their own so that `patchcast serve`
 * can name them in its flags without loading the relay (sharp, express) first.
 */

/** Limits of the relay service (each one a flag of `patchcast serve`). */
export interface RelayLimits {
  /** How long a verified release's missing blobs may be uploaded (`PUT /api/blobs/:sha256`). */
  readonly uploadWindowMs: number;
  /** Bytes a room may have announced for upload and not yet received. */
  readonly maxPendingBytesPerRoom: number;
  /** Largest texture, in pixels (width × height), the relay will decode. */
  readonly maxTexturePixels: number;
  /** Longest a texture decode may take. */
  readonly decodeTimeoutMs: number;
}

/** Default {@link RelayLimits}. */
export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  uploadWindowMs: 10 * 60 * 1000,
  maxPendingBytesPerRoom: 64 * 1024 * 1024,
  maxTexturePixels: 4096 * 4096,
  decodeTimeoutMs: 5_000,
};

/**
 * Largest publish body. Blobs of 64 KiB or more go up raw (`PUT /api/blobs/:sha256`) after the
 * release, so the JSON carries only small ones: 16 slots of under 64 KiB in base64 fit easily.
 */
export const DEFAULT_MAX_PUBLISH_BODY_BYTES = 4 * 1024 * 1024;
