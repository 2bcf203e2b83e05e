/**
 * The relay's HTTP API as the admin site uses it. The relay is untrusted: every answer goes through a
 * schema, a blob is checked against its hash, and any failure becomes a {@link RelayError} whose code
 * is one of protocol's `ErrorCode`s or `NETWORK`/`HTTP`/`BAD_RESPONSE` for what the relay did not name.
 */
import * as v from 'valibot';
import { toBase64 } from '../../protocol/bytes.ts';
import { sha256Hex } from '../../protocol/crypto.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import {
  ApiPath,
  ErrorBodySchema,
  HistoryBodySchema,
  KeysBodySchema,
  PublishedSchema,
  RoomsBodySchema,
  RosterBodySchema,
  type KeysBody,
  type Published,
  type RoomSummary,
} from '../../protocol/http.ts';
import type { SignedRotation } from '../../protocol/keys.ts';
import type { RosterClient } from '../../protocol/messages.ts';
import { SignedReleaseSchema, type SignedRelease } from '../../protocol/release.ts';

export type { KeysBody, Published, RoomSummary };

/** Codes for failures the relay did not name itself. */
export const LocalCode = { NETWORK: 'NETWORK', HTTP: 'HTTP', BAD_RESPONSE: 'BAD_RESPONSE' } as const;
/** A code of a {@link RelayError}. */
export type RelayErrorCode = ErrorCode | (typeof LocalCode)[keyof typeof LocalCode];

/** A failed call to the relay. */
export class RelayError extends Error {
  override readonly name = 'RelayError';
  readonly code: RelayErrorCode;
  /** HTTP status, when there was an answer. */
  readonly status: number | undefined;
  /** Blobs the relay says it lacks (for `BLOB_MISSING`). */
  readonly missing: readonly string[];

  constructor(
    code: RelayErrorCode,
    message: string,
    details: { status?: number; missing?: readonly string[]; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.missing = details.missing ?? [];
  }
}

/** `fetch`, as a parameter so tests can pass their own. */
export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

async function call(fetchFn: Fetch, url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetchFn(url, init);
  } catch (cause) {
    throw new RelayError(LocalCode.NETWORK, `Could not reach the relay at ${new URL(url).origin}.`, {
      cause,
    });
  }
}

async function failure(res: Response): Promise<RelayError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const parsed = v.safeParse(ErrorBodySchema, body);
  if (parsed.success) {
    const { code, message, missing } = parsed.output.error;
    return new RelayError(code, message, {
      status: res.status,
      ...(missing ? { missing } : {}),
    });
  }
  return new RelayError(LocalCode.HTTP, `The relay answered HTTP ${res.status} ${res.statusText}.`, {
    status: res.status,
  });
}

async function json<S extends v.GenericSchema>(res: Response, schema: S): Promise<v.InferOutput<S>> {
  let body: unknown;
  try {
    body = await res.json();
  } catch (cause) {
    throw new RelayError(LocalCode.BAD_RESPONSE, 'The relay answered with something that is not JSON.', {
      status: res.status,
      cause,
    });
  }
  const parsed = v.safeParse(schema, body, { abortEarly: true });
  if (!parsed.success) {
    throw new RelayError(
      LocalCode.BAD_RESPONSE,
      `The relay's answer has an unexpected shape (${parsed.issues[0].message}).`,
      {
        status: res.status,
      },
    );
  }
  return parsed.output;
}

/** Blobs at least this big are uploaded raw (`PUT /api/blobs/:sha256`) rather than as base64 in the JSON. */
export const RAW_UPLOAD_BYTES = 64 * 1024;

/** Uploads one blob's raw bytes; the relay checks them against the hash in the path. */
export async function uploadBlob(
  relay: string,
  sha256: string,
  bytes: Uint8Array,
  fetchFn: Fetch = fetch,
): Promise<void> {
  const res = await call(fetchFn, `${relay}${ApiPath.blob(sha256)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: new Uint8Array(bytes),
  });
  if (!res.ok) throw await failure(res);
}

/**
 * Sends a signed release and the blobs it names; returns the relay's `{ room, seq, version }`. Big
 * blobs go first as raw uploads (a third smaller than base64, and no giant string in the tab); small
 * ones travel inside the publish. The public key goes along for a room's first release (the relay
 * makes it the room key); for an existing room the relay ignores it and checks the signature against
 * the keys it already trusts.
 */
export async function publishRelease(
  relay: string,
  signed: SignedRelease,
  blobs: ReadonlyMap<string, Uint8Array>,
  publicKey: string,
  fetchFn: Fetch = fetch,
): Promise<Published> {
  const inline: Record<string, string> = {};
  for (const [sha, bytes] of blobs) {
    if (bytes.length >= RAW_UPLOAD_BYTES) await uploadBlob(relay, sha, bytes, fetchFn);
    else inline[sha] = toBase64(bytes);
  }
  const res = await call(fetchFn, `${relay}${ApiPath.releases(signed.release.room)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ signed, publicKey, blobs: inline }),
  });
  if (!res.ok) throw await failure(res);
  return json(res, PublishedSchema);
}

/** The room's latest signed release, or null when the room has none (HTTP 404). */
export async function fetchLatest(
  relay: string,
  room: string,
  fetchFn: Fetch = fetch,
): Promise<SignedRelease | null> {
  const res = await call(fetchFn, `${relay}${ApiPath.release(room)}`, { cache: 'no-store' });
  if (res.status === 404) return null;
  if (!res.ok) throw await failure(res);
  return json(res, SignedReleaseSchema);
}

/** Every release of the room the relay keeps, newest first. Empty when the room does not exist. */
export async function fetchHistory(
  relay: string,
  room: string,
  fetchFn: Fetch = fetch,
): Promise<SignedRelease[]> {
  const res = await call(fetchFn, `${relay}${ApiPath.releases(room)}`, { cache: 'no-store' });
  if (res.status === 404) return [];
  if (!res.ok) throw await failure(res);
  const body = await json(res, HistoryBodySchema);
  return [...body.releases].sort((a, b) => b.release.seq - a.release.seq);
}

/** The room's roster, once (the dashboard gets it live over `/ws`; this is for a first paint). */
export async function fetchRoster(
  relay: string,
  room: string,
  fetchFn: Fetch = fetch,
): Promise<RosterClient[]> {
  const res = await call(fetchFn, `${relay}${ApiPath.clients(room)}`, { cache: 'no-store' });
  if (res.status === 404) return [];
  if (!res.ok) throw await failure(res);
  return (await json(res, RosterBodySchema)).clients;
}

/** A blob's bytes, checked against its SHA-256 (the relay could hand back anything). */
export async function fetchBlob(relay: string, sha256: string, fetchFn: Fetch = fetch): Promise<Uint8Array> {
  const res = await call(fetchFn, `${relay}${ApiPath.blob(sha256)}`);
  if (!res.ok) throw await failure(res);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if ((await sha256Hex(bytes)) !== sha256) {
    throw new RelayError(
      ErrorCode.HASH_MISMATCH,
      `The relay sent the wrong bytes for blob ${sha256.slice(0, 12)}….`,
    );
  }
  return bytes;
}

/** Checks that the relay answers `GET /healthz`; throws a {@link RelayError} when it does not. */
export async function checkHealth(relay: string, fetchFn: Fetch = fetch): Promise<void> {
  const res = await call(fetchFn, `${relay}${ApiPath.health()}`, { cache: 'no-store' });
  if (!res.ok) throw await failure(res);
}

/** The rooms the relay knows (for the room picker). */
export async function fetchRooms(relay: string, fetchFn: Fetch = fetch): Promise<RoomSummary[]> {
  const res = await call(fetchFn, `${relay}${ApiPath.rooms()}`, { cache: 'no-store' });
  if (!res.ok) throw await failure(res);
  return (await json(res, RoomsBodySchema)).rooms;
}

/** The keys the relay trusts for a room, and the rotation records behind them (null: no such room). */
export async function fetchKeys(
  relay: string,
  room: string,
  fetchFn: Fetch = fetch,
): Promise<KeysBody | null> {
  const res = await call(fetchFn, `${relay}${ApiPath.keys(room)}`, { cache: 'no-store' });
  if (res.status === 404) return null;
  if (!res.ok) throw await failure(res);
  return json(res, KeysBodySchema);
}

/** Sends a signed rotation record: the room then also trusts its new key. */
export async function postRotation(
  relay: string,
  room: string,
  rotation: SignedRotation,
  fetchFn: Fetch = fetch,
): Promise<KeysBody> {
  const res = await call(fetchFn, `${relay}${ApiPath.keys(room)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rotation),
  });
  if (!res.ok) throw await failure(res);
  return json(res, KeysBodySchema);
}
