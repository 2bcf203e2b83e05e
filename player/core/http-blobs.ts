/**
 * Whole blobs over HTTP, when the relay serves them at once. A blob of many chunks fetched over the
 * relay connection costs the page one message, one decode and one hash per chunk, each waiting its
 * turn on the main thread (on a busy page, behind a frame); `GET /api/blobs/:sha256` arrives through
 * the browser's network stack in a few large reads (into one buffer of the slot's size — straight
 * into it where the body is a byte stream — no decoding) and checked at the end against the release's
 * chunk hashes (`verifyBlobChunks`: every byte under a signed hash, without WebCrypto's copy of the
 * whole blob; `crypto.subtle`, off the main thread).
 *
 * The request says {@link PLAYER_BLOB_HEADER}: a relay whose egress is limited refuses it
 * (`BLOB_DEFERRED`), and so does one that lacks the blob; then — and on any network error, a wrong
 * length, or bytes that fail the release's hashes — the blob comes from the inner source as before
 * (chunk by chunk, each chunk verified; the swarm's deferral intact). Blobs the relay pushed with the
 * release, and blobs of one chunk (no gain), go to the inner source directly.
 */
import { verifyBlobChunks, type BlobDescriptor } from '../../protocol/blobs.ts';
import { ErrorCode, fail, ok, type Result } from '../../protocol/errors.ts';
import { ApiPath, PLAYER_BLOB_HEADER } from '../../protocol/http.ts';
import { CHUNK_STALL_MS } from '../../protocol/limits.ts';
import type { SignedRelease } from '../../protocol/release.ts';
import { relayUrl } from './relay-url.ts';
import type { BlobSource, FetchOptions, Traffic } from './transport.ts';

/** Options of {@link HttpBlobs}. */
export interface HttpBlobsOptions {
  /**
   * The relay's HTTP base URL (`http://host:port`, any path prefix included); a function is asked at
   * every fetch (the relay the player is connected to now, after a failover).
   */
  readonly server: string | (() => string);
  /** Where blobs come from otherwise: the relay connection, or the swarm. */
  readonly inner: BlobSource;
  /** True when the relay pushed every chunk of this blob already (no request needed at all). */
  readonly pushed?: (desc: BlobDescriptor) => boolean;
  /**
   * True while the relay said it may defer to the swarm (`welcome.defers`: it has an egress limit
   * and would refuse the GET with `BLOB_DEFERRED`): blobs go to the inner source without asking.
   */
  readonly skip?: () => boolean;
  /** Blobs of at most this many chunks go to the inner source (default 1). */
  readonly minChunks?: number;
  /** The platform's `fetch` (default `globalThis.fetch`). */
  readonly fetch?: typeof globalThis.fetch;
  /**
   * Longest wait for the answer's headers, and between two reads of its body (default
   * `CHUNK_STALL_MS`): a relay that goes quiet mid-body — overloaded, hostile, a dead path — costs
   * this much and the blob comes from the inner source (a browser puts no timeout on a body).
   */
  readonly stallMs?: number;
}

/**
 * Why the last whole-blob fetch went to the inner source instead (for tests and the curious):
 * refused (not 200), network, length (announced or read other than the slot's size), hash.
 */
export type HttpFallback = 'refused' | 'network' | 'length' | 'hash' | null;

/** A whole-blob fetch's outcome: the verified bytes, or why the blob goes to the inner source. */
type WholeBlob = { ok: true; value: Uint8Array } | { ok: false; why: Exclude<HttpFallback, null> };

/** See the file comment. */
export class HttpBlobs implements BlobSource {
  private readonly options: HttpBlobsOptions;
  private readonly doFetch: typeof globalThis.fetch;
  private bytes = 0;
  /** Why the last blob fell back to the inner source (null: it did not). */
  lastFallback: HttpFallback = null;
  /** Blobs fetched whole over HTTP and verified. */
  fetchedWhole = 0;

  constructor(options: HttpBlobsOptions) {
    this.options = options;
    this.doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  traffic(): Traffic {
    const inner = this.options.inner.traffic();
    return { ...inner, bytesFromRelay: inner.bytesFromRelay + this.bytes };
  }

  hold(desc: BlobDescriptor, bytes: Uint8Array): void {
    this.options.inner.hold?.(desc, bytes);
  }

  announce(signed: SignedRelease): void {
    this.options.inner.announce?.(signed);
  }

  async fetch(desc: BlobDescriptor, options: FetchOptions = {}): Promise<Result<Uint8Array>> {
    const { inner, pushed, minChunks = 1 } = this.options;
    if (desc.chunks.length <= minChunks || pushed?.(desc) || this.options.skip?.()) {
      return inner.fetch(desc, options);
    }
    const whole = await this.whole(desc, options.signal, options.onProgress);
    if (whole.ok) {
      this.fetchedWhole++;
      this.lastFallback = null;
      return whole;
    }
    if (options.signal?.aborted) return fail(ErrorCode.INTERNAL, 'fetch superseded');
    this.lastFallback = whole.why;
    return inner.fetch(desc, options);
  }

  /** The blob over HTTP, verified against the release's chunk hashes, or why not. */
  private async whole(
    desc: BlobDescriptor,
    signal: AbortSignal | undefined,
    onProgress: ((received: number, total: number) => void) | undefined,
  ): Promise<WholeBlob> {
    // This request's own abort: the release's signal (superseded), or a stall (see `stallMs`).
    const request = new AbortController();
    const stallMs = this.options.stallMs ?? CHUNK_STALL_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const armStall = () => {
      clearTimeout(timer);
      timer = setTimeout(() => request.abort(), stallMs);
    };
    const superseded = () => request.abort();
    signal?.addEventListener('abort', superseded, { once: true });
    if (signal?.aborted) request.abort();
    armStall();
    try {
      return await this.read(desc, request.signal, armStall, onProgress);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', superseded);
    }
  }

  /** The GET and its body, read up to the slot's size; `progressed` re-arms the stall timer. */
  private async read(
    desc: BlobDescriptor,
    signal: AbortSignal,
    progressed: () => void,
    onProgress: ((received: number, total: number) => void) | undefined,
  ): Promise<WholeBlob> {
    const { server } = this.options;
    const base = typeof server === 'function' ? server() : server;
    let response: Response;
    try {
      // `no-store`: the player keeps the blob itself (IndexedDB, verified); the browser's HTTP cache
      // would write a second copy while the body streams in — in headless Chromium under load that
      // tripled a 4 MB body's read (docs/performance.md, twelfth round).
      response = await this.doFetch(relayUrl(base, ApiPath.blob(desc.sha256)), {
        headers: { [PLAYER_BLOB_HEADER]: '1' },
        cache: 'no-store',
        signal,
      });
    } catch {
      return { ok: false, why: 'network' };
    }
    progressed();
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      return { ok: false, why: 'refused' };
    }
    // Cheap before expensive: a body announced at another length is not read at all, and one that
    // runs past the slot's size (no length announced: a proxy's chunked encoding) is cut off there.
    const announced = response.headers.get('content-length');
    if ((announced !== null && announced !== String(desc.size)) || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      return { ok: false, why: 'length' };
    }
    let received = 0;
    const read = (n: number) => {
      received += n;
      this.bytes += n;
      progressed();
      // The HUD's progress bar moves as the bytes come (they are verified once all are here).
      onProgress?.(received, desc.size);
    };
    let body: Uint8Array | null;
    try {
      body = await readInto(response.body, desc.size, read);
    } catch {
      return { ok: false, why: 'network' };
    }
    if (!body) return { ok: false, why: 'length' };
    const verified = await verifyBlobChunks(desc, body);
    return verified.ok ? ok(body) : { ok: false, why: 'hash' };
  }
}

/**
 * Reads `stream` to its end into one buffer of exactly `size` bytes, or null when it holds another
 * number of bytes (cut off past `size`). `read(n)` is told of each read's bytes. Where the stream is a
 * byte stream (Chromium's and Node's fetch), the bytes are read straight into that buffer (a BYOB
 * reader): no buffer per read, no copy — for a 4 MB texture in headless Chromium under load, the body
 * in a median of ~430 ms against ~530 ms (docs/performance.md, tenth round). Elsewhere, read by read,
 * copied in.
 */
async function readInto(
  stream: ReadableStream<Uint8Array>,
  size: number,
  read: (n: number) => void,
): Promise<Uint8Array | null> {
  let byob: ReadableStreamBYOBReader | null = null;
  try {
    byob = stream.getReader({ mode: 'byob' });
  } catch {
    // not a byte stream
  }
  if (!byob) return readCopying(stream.getReader(), size, read);
  let buffer = new ArrayBuffer(size);
  let at = 0;
  while (at < size) {
    const { done, value } = await byob.read(new Uint8Array(buffer, at, size - at));
    if (done || !value) return null;
    buffer = value.buffer as ArrayBuffer; // the view's buffer was transferred to the stream and back
    at += value.byteLength;
    read(value.byteLength);
  }
  // Full: the stream must end here. A one-byte read tells (a BYOB read can't ask for zero bytes).
  const { done } = await byob.read(new Uint8Array(1));
  if (!done) {
    await byob.cancel().catch(() => undefined);
    return null;
  }
  return new Uint8Array(buffer);
}

/** {@link readInto} for a stream that is no byte stream: each read's chunk copied into the buffer. */
async function readCopying(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  size: number,
  read: (n: number) => void,
): Promise<Uint8Array | null> {
  const bytes = new Uint8Array(size);
  let at = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.length > size) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    bytes.set(value, at);
    at += value.length;
    read(value.length);
  }
  return at === size ? bytes : null;
}
