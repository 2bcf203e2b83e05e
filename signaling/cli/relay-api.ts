/**
 * The relay's HTTP API as the CLI calls it. Answers go through the validators of
 * `protocol/http.ts`; a refusal becomes a {@link CliError} carrying the relay's code.
 */
import {
  ApiPath,
  parseBlobPutAnswer,
  parseErrorBody,
  parseHistoryBody,
  parseKeysBody,
  parsePublished,
  parseRosterBody,
  parseSignedRelease,
  toBase64,
  type HistoryBody,
  type KeysBody,
  type Published,
  type RosterBody,
  type SignedRelease,
  type SignedRotation,
  type Validator,
} from '../../protocol/index.ts';
import { CliError } from './io.ts';

/** Blobs above this size go up raw with PUT before the release (no base64 in a JSON body). */
const INLINE_LIMIT = 256 * 1024;

async function request(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    throw new CliError(
      `cannot reach ${new URL(url).origin}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

async function readJson(res: Response): Promise<unknown> {
  try {
    return await res.json();
  } catch {
    throw new CliError(`the relay answered HTTP ${res.status} with something that is not JSON`);
  }
}

async function refusal(res: Response): Promise<CliError> {
  const parsed = parseErrorBody(await readJson(res).catch(() => null));
  if (parsed.ok) {
    const { code, message, missing } = parsed.value.error;
    return new CliError(`${message}${missing ? ` (${missing.join(', ')})` : ''}`, 1, code);
  }
  return new CliError(`the relay answered HTTP ${res.status}`);
}

async function expectJson<T>(res: Response, validate: Validator<T>): Promise<T> {
  if (!res.ok) throw await refusal(res);
  const parsed = validate(await readJson(res));
  if (!parsed.ok) throw new CliError(`unexpected answer from the relay: ${parsed.message}`);
  return parsed.value;
}

/** The relay at `base` (e.g. `http://127.0.0.1:8787`). */
export class RelayApi {
  readonly base: string;

  constructor(base: string) {
    this.base = base.replace(/\/+$/, '');
  }

  /** The latest release of a room, or null when it has none. */
  async latest(room: string): Promise<SignedRelease | null> {
    const res = await request(this.base + ApiPath.release(room), { cache: 'no-store' });
    if (res.status === 404) return null;
    return expectJson(res, parseSignedRelease);
  }

  /** Every release, newest first. */
  async history(room: string): Promise<HistoryBody> {
    return expectJson(await request(this.base + ApiPath.releases(room)), parseHistoryBody);
  }

  /** The roster. */
  async clients(room: string): Promise<RosterBody> {
    return expectJson(await request(this.base + ApiPath.clients(room)), parseRosterBody);
  }

  /** Trusted keys and rotation records. */
  async keys(room: string): Promise<KeysBody> {
    return expectJson(await request(this.base + ApiPath.keys(room)), parseKeysBody);
  }

  /** Posts a rotation record (a self-signed one creates the room). */
  async rotate(room: string, record: SignedRotation): Promise<KeysBody> {
    const res = await request(this.base + ApiPath.keys(room), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(record),
    });
    return expectJson(res, parseKeysBody);
  }

  /** True when the relay holds the blob. */
  async hasBlob(sha256: string): Promise<boolean> {
    const res = await request(this.base + ApiPath.blob(sha256), { method: 'HEAD' });
    return res.status === 200;
  }

  /** Uploads one blob raw. */
  async putBlob(sha256: string, bytes: Uint8Array): Promise<void> {
    const res = await request(this.base + ApiPath.blob(sha256), {
      method: 'PUT',
      body: new Uint8Array(bytes),
    });
    await expectJson(res, parseBlobPutAnswer);
  }

  /**
   * Publishes a signed release with the blobs it introduces: big ones the relay lacks go up first
   * with PUT, small ones ride along in the JSON. `publicKey` lets a first release create the room.
   */
  async publish(
    signed: SignedRelease,
    blobs: ReadonlyMap<string, Uint8Array>,
    publicKey?: string,
  ): Promise<Published> {
    const inline: Record<string, string> = {};
    for (const [sha, bytes] of blobs) {
      if (bytes.length <= INLINE_LIMIT) inline[sha] = toBase64(bytes);
      else if (!(await this.hasBlob(sha))) await this.putBlob(sha, bytes);
    }
    const res = await request(this.base + ApiPath.releases(signed.release.room), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ signed, blobs: inline, ...(publicKey ? { publicKey } : {}) }),
    });
    return expectJson(res, parsePublished);
  }
}
