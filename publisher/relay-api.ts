/**
 * The relay's HTTP API, typed: the one client the admin site and the CLI both use. The relay is
 * untrusted: every answer goes through a validator of `protocol/http.ts`, a blob is checked against
 * its hash, and every failure is a {@link RelayError} with the relay's code (or a local one).
 */
import { toBase64 } from '../protocol/bytes.ts';
import { BUNDLE_CONTENT_TYPE, encodeBundle } from '../protocol/bundle.ts';
import { sha256Hex } from '../protocol/crypto.ts';
import { ErrorCode } from '../protocol/errors.ts';
import {
  ApiPath,
  parseBlobPutAnswer,
  parseErrorBody,
  parseHistoryBody,
  parseKeysBody,
  parsePublished,
  parseRoomsBody,
  parseRosterBody,
  type KeysBody,
  type Published,
  type RoomSummary,
  type RosterBody,
} from '../protocol/http.ts';
import type { SignedRotation } from '../protocol/keys.ts';
import { parseSignedRelease, type SignedRelease } from '../protocol/release.ts';
import type { Validator } from '../protocol/validate.ts';
import { LocalCode, RelayError } from './errors.ts';

export type { KeysBody, Published, RoomSummary, RosterBody };

/** What the client sends: a subset of `fetch`'s `RequestInit`. */
export interface RelayRequest {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array<ArrayBuffer>;
  readonly cache?: 'no-store';
}

/** What the client reads of an answer: a `Response` has it all (the CLI passes a lighter one). */
export interface RelayResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * How requests are made: the global `fetch` by default (a browser's); the CLI passes one on
 * `node:http` (`signaling/cli/http-fetch.ts`), tests their own.
 */
export type Fetch = (input: string, init?: RelayRequest) => Promise<RelayResponse>;

/**
 * Blobs at least this big go up raw — in a bundle with the release, or `PUT /api/blobs/:sha256` to a
 * relay that takes no bundles; smaller ones ride inside the publish as base64. Raw is a third
 * smaller than base64 and builds no giant string, in a tab or in Node.
 */
export const RAW_UPLOAD_BYTES = 64 * 1024;

/** A publish's blobs as they travel: under {@link RAW_UPLOAD_BYTES} as base64 in the JSON, the rest raw. */
export function splitBlobs(blobs: ReadonlyMap<string, Uint8Array>): {
  inline: Record<string, string>;
  raw: [string, Uint8Array][];
} {
  const inline: Record<string, string> = {};
  const raw: [string, Uint8Array][] = [];
  for (const [sha, bytes] of blobs) {
    if (bytes.length < RAW_UPLOAD_BYTES) inline[sha] = toBase64(bytes);
    else raw.push([sha, bytes]);
  }
  return { inline, raw };
}

/** A room's history as the relay keeps it. */
export interface ReleaseLog {
  /** Sorted by seq, highest first. */
  readonly releases: SignedRelease[];
  /** The seq the next release must go above (see {@link RelayApi.lastSeq}). */
  readonly lastSeq: number;
}

/** The relay at `base` (e.g. `http://127.0.0.1:8787`; a trailing slash is dropped). */
export class RelayApi {
  readonly base: string;
  readonly #fetch: Fetch;
  readonly #operatorToken: string | null;
  readonly #bundles: boolean;

  /**
   * `operatorToken`: the relay's operator token, sent (as `Authorization: Bearer …`) with the requests
   * that may create a room; only an operator may create rooms on a relay that is not open.
   * `bundles: false` publishes big blobs the older way (release, `BLOB_MISSING`, uploads, release
   * again) even to a relay that takes bundles: the fan-out benchmark times the upload and the accept
   * of an uploaded release apart.
   */
  constructor(
    base: string,
    fetchFn: Fetch = (input, init) => fetch(input, init),
    operatorToken: string | null = null,
    options: { readonly bundles?: boolean } = {},
  ) {
    this.base = base.replace(/\/+$/, '');
    this.#fetch = fetchFn;
    this.#operatorToken = operatorToken;
    this.#bundles = options.bundles ?? true;
  }

  /** Headers of a JSON request that may create a room. */
  #creating(): Record<string, string> {
    return {
      'content-type': 'application/json',
      ...(this.#operatorToken ? { authorization: `Bearer ${this.#operatorToken}` } : {}),
    };
  }

  /** The room's latest signed release, or null when the relay has no such room (`NO_SUCH_ROOM`). */
  async latest(room: string): Promise<SignedRelease | null> {
    const res = await this.#call(ApiPath.release(room), { cache: 'no-store' });
    if (await noSuchRoom(res)) return null;
    return answer(res, parseSignedRelease);
  }

  /** Every release of the room the relay keeps, sorted by seq, highest first; empty: no such room. */
  async history(room: string): Promise<SignedRelease[]> {
    return (await this.releaseLog(room)).releases;
  }

  /**
   * The seq a room's next release must go above: the highest the relay ever accepted there, or that a
   * halted guarded rollout reserved (0: no such room).
   */
  async lastSeq(room: string): Promise<number> {
    return (await this.releaseLog(room)).lastSeq;
  }

  /** {@link history} and {@link lastSeq} from one request (a publish needs both). */
  async releaseLog(room: string): Promise<ReleaseLog> {
    const res = await this.#call(ApiPath.releases(room), { cache: 'no-store' });
    if (await noSuchRoom(res)) return { releases: [], lastSeq: 0 };
    const body = await answer(res, parseHistoryBody);
    const releases = [...body.releases].sort((a, b) => b.release.seq - a.release.seq);
    return { releases, lastSeq: Math.max(body.lastSeq ?? 0, ...releases.map((s) => s.release.seq)) };
  }

  /** `GET path` through `validate` (the routes of `publisher/rollout-api.ts` and others). */
  async getJson<T>(path: string, validate: Validator<T>): Promise<T> {
    return answer(await this.#call(path, { cache: 'no-store' }), validate);
  }

  /** `POST path` with a JSON body, the answer through `validate`. */
  async postJson<T>(path: string, body: unknown, validate: Validator<T>): Promise<T> {
    const init = {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    };
    return answer(await this.#call(path, init), validate);
  }

  /** The room's roster (the dashboard gets it live over `/ws`; this is one snapshot). */
  async roster(room: string): Promise<RosterBody> {
    return answer(await this.#call(ApiPath.clients(room), { cache: 'no-store' }), parseRosterBody);
  }

  /** The keys the relay trusts for a room and the rotation records behind them; null: no such room. */
  async keys(room: string): Promise<KeysBody | null> {
    const res = await this.#call(ApiPath.keys(room), { cache: 'no-store' });
    if (await noSuchRoom(res)) return null;
    return answer(res, parseKeysBody);
  }

  /** Sends a signed rotation record (a self-signed one creates the room). */
  async rotate(room: string, record: SignedRotation): Promise<KeysBody> {
    const res = await this.#call(ApiPath.keys(room), {
      method: 'POST',
      headers: this.#creating(),
      body: JSON.stringify(record),
    });
    return answer(res, parseKeysBody);
  }

  /** The rooms the relay knows. */
  async rooms(): Promise<RoomSummary[]> {
    return (await answer(await this.#call(ApiPath.rooms(), { cache: 'no-store' }), parseRoomsBody)).rooms;
  }

  /** Resolves when the relay answers `GET /healthz`. */
  async health(): Promise<void> {
    const res = await this.#call(ApiPath.health(), { cache: 'no-store' });
    if (!res.ok) throw await refusal(res);
  }

  /** True when the relay holds the blob. */
  async hasBlob(sha256: string): Promise<boolean> {
    const res = await this.#call(ApiPath.blob(sha256), { method: 'HEAD' });
    if (res.status === 404) return false;
    if (!res.ok) throw await refusal(res);
    return true;
  }

  /** A blob's bytes, checked against its SHA-256 (the relay could hand back anything). */
  async blob(sha256: string): Promise<Uint8Array> {
    const res = await this.#call(ApiPath.blob(sha256));
    if (!res.ok) throw await refusal(res);
    const bytes = new Uint8Array(await res.arrayBuffer());
    if ((await sha256Hex(bytes)) !== sha256) {
      throw new RelayError(
        ErrorCode.HASH_MISMATCH,
        `the relay sent the wrong bytes for blob ${sha256.slice(0, 12)}…`,
      );
    }
    return bytes;
  }

  /** Uploads one blob's raw bytes; the relay checks them against the hash in the path. */
  async putBlob(sha256: string, bytes: Uint8Array): Promise<void> {
    const res = await this.#call(ApiPath.blob(sha256), {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(bytes),
    });
    await answer(res, parseBlobPutAnswer);
  }

  /**
   * Publishes a signed release with the blobs it introduces. Those under {@link RAW_UPLOAD_BYTES} ride
   * along in the JSON. Bigger ones go in the same request as a bundle (`protocol/bundle.ts`): the
   * relay verifies the release first, takes the raw bytes of the blobs it lacks and drops the rest,
   * and publishes — one round trip. A relay that takes no bundles (one from before them reads the
   * body as JSON: `BAD_JSON`, or `TOO_LARGE` past its JSON limit; or 415) gets the older three:
   * the release, its `BLOB_MISSING` answer naming the blobs it lacks, their raw uploads, the release
   * again. `publicKey` lets a room's first release create it (an operator's, see the constructor).
   */
  async publish(
    signed: SignedRelease,
    blobs: ReadonlyMap<string, Uint8Array>,
    publicKey?: string,
  ): Promise<Published> {
    const { inline, raw } = splitBlobs(blobs);
    const fields = { signed, blobs: inline, ...(publicKey ? { publicKey } : {}) };
    const path = ApiPath.releases(signed.release.room);
    if (raw.length > 0 && this.#bundles) {
      const res = await this.#call(path, {
        method: 'POST',
        headers: { ...this.#creating(), 'content-type': BUNDLE_CONTENT_TYPE },
        body: encodeBundle(fields, raw),
      });
      if (res.ok) return answer(res, parsePublished);
      const error = await refusal(res);
      const olderRelay =
        res.status === 415 || error.code === ErrorCode.BAD_JSON || error.code === ErrorCode.TOO_LARGE;
      if (!olderRelay) throw error;
    }
    const body = JSON.stringify(fields);
    const post = () => this.#call(path, { method: 'POST', headers: this.#creating(), body });
    const first = await post();
    if (first.status !== 409) return answer(first, parsePublished);
    const error = await refusal(first);
    const missing = error.code === ErrorCode.BLOB_MISSING ? (error.missing ?? []) : [];
    if (missing.length === 0 || missing.some((sha) => !blobs.has(sha))) throw error;
    for (const sha of missing) await this.putBlob(sha, blobs.get(sha)!);
    return answer(await post(), parsePublished);
  }

  async #call(path: string, init?: RelayRequest): Promise<RelayResponse> {
    try {
      return await this.#fetch(this.base + path, init);
    } catch (cause) {
      throw new RelayError(LocalCode.NETWORK, `could not reach the relay at ${this.base}`, { cause });
    }
  }
}

/**
 * True when the relay says the room does not exist (404 with `NO_SUCH_ROOM`); any other 404 — a wrong
 * address, a static server — is thrown as the refusal it is, not taken for an empty room.
 */
async function noSuchRoom(res: RelayResponse): Promise<boolean> {
  if (res.status !== 404) return false;
  const error = await refusal(res);
  if (error.code === ErrorCode.NO_SUCH_ROOM) return true;
  throw error;
}

/** The relay's refusal as a {@link RelayError}: its code and message, or HTTP when it named none. */
async function refusal(res: RelayResponse): Promise<RelayError> {
  const parsed = parseErrorBody(await res.json().catch(() => null));
  if (parsed.ok) {
    const { code, message, missing } = parsed.value.error;
    return new RelayError(code, message, { status: res.status, ...(missing ? { missing } : {}) });
  }
  return new RelayError(LocalCode.HTTP, `the relay answered HTTP ${res.status} ${res.statusText}`.trim(), {
    status: res.status,
  });
}

/** A successful answer's JSON through `validate`; a refusal or junk becomes a {@link RelayError}. */
async function answer<T>(res: RelayResponse, validate: Validator<T>): Promise<T> {
  if (!res.ok) throw await refusal(res);
  let body: unknown;
  try {
    body = await res.json();
  } catch (cause) {
    throw new RelayError(LocalCode.BAD_RESPONSE, 'the relay answered with something that is not JSON', {
      status: res.status,
      cause,
    });
  }
  const parsed = validate(body);
  if (!parsed.ok) {
    throw new RelayError(LocalCode.BAD_RESPONSE, `unexpected answer from the relay: ${parsed.message}`, {
      status: res.status,
    });
  }
  return parsed.value;
}
