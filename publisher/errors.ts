/**
 * The one error of the publisher and its relay client. A relay's refusal keeps the relay's own code
 * (one of protocol's `ErrorCode`s) with the HTTP status; what the relay did not name — it could not be
 * reached, it answered junk, it served a release the publisher won't build on, it has no release of
 * that seq — gets a code of its own.
 */
import type { ErrorCode } from '../protocol/errors.ts';

/** Codes for failures the relay did not name itself. */
export const LocalCode = {
  /** The relay could not be reached. */
  NETWORK: 'NETWORK',
  /** The relay answered an HTTP error without an error body. */
  HTTP: 'HTTP',
  /** The relay's answer is not JSON, or not the expected shape. */
  BAD_RESPONSE: 'BAD_RESPONSE',
  /** A rollback named a seq the room's history does not hold. */
  NO_SUCH_RELEASE: 'NO_SUCH_RELEASE',
  /** A publish whose changes are all already live (or a rollback to the live release). */
  NOTHING_TO_PUBLISH: 'NOTHING_TO_PUBLISH',
} as const;
/** One of {@link LocalCode}. */
export type LocalCode = (typeof LocalCode)[keyof typeof LocalCode];

/** A code of a {@link RelayError}. */
export type RelayErrorCode = ErrorCode | LocalCode;

/** Details of a {@link RelayError}. */
export interface RelayErrorDetails {
  /** HTTP status, when the relay answered. */
  readonly status?: number;
  /** Blobs the relay says it lacks (`BLOB_MISSING`). */
  readonly missing?: readonly string[];
  /**
   * Set when the publisher refused to build on a release the relay served (not signed by a trusted
   * key, or of another room): which one, e.g. `the live release` or `release 3`.
   */
  readonly untrusted?: string;
  readonly cause?: unknown;
}

/** A failed call to the relay, or a publish or rollback the publisher would not go through with. */
export class RelayError extends Error {
  override readonly name = 'RelayError';
  readonly code: RelayErrorCode;
  readonly status: number | undefined;
  readonly missing: readonly string[];
  readonly untrusted: string | undefined;

  constructor(code: RelayErrorCode, message: string, details: RelayErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.missing = details.missing ?? [];
    this.untrusted = details.untrusted;
  }
}
