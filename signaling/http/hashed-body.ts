/**
 * A raw upload's body read into one buffer and hashed while it streams in: the whole blob's SHA-256
 * and each chunk's, so that the relay's checks find them taken when the last byte lands instead of
 * reading 4 MB three more times. The same limits and failures as `express.raw`: a `Content-Length`
 * over the limit is refused before a byte is read (`entity.too.large`, 413 `TOO_LARGE`), a body that
 * grows past it is cut off there, an aborted one is `request.aborted` — and nothing is kept of it.
 */
import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { BlobDigests } from '../relay/blob-checks.ts';

/** An error the API's error handler maps to a code (`type` as body-parser's errors have it). */
class BodyError extends Error {
  constructor(
    readonly type: 'entity.too.large' | 'request.aborted',
    message: string,
  ) {
    super(message);
  }
}

/** Hashes bytes as they come: the whole, and each `chunkSize` piece (when a chunking is known). */
export class StreamingDigests {
  private readonly whole = createHash('sha256');
  private chunk: Hash | null = null;
  private inChunk = 0;
  private size = 0;
  private readonly chunks: string[] = [];

  constructor(private readonly chunkSize: number | undefined) {}

  update(piece: Uint8Array): void {
    this.whole.update(piece);
    this.size += piece.length;
    const chunkSize = this.chunkSize;
    if (chunkSize === undefined) return;
    for (let at = 0; at < piece.length;) {
      const take = Math.min(chunkSize - this.inChunk, piece.length - at);
      (this.chunk ??= createHash('sha256')).update(piece.subarray(at, at + take));
      at += take;
      this.inChunk += take;
      if (this.inChunk === chunkSize) this.endChunk();
    }
  }

  private endChunk(): void {
    if (this.chunk) this.chunks.push(this.chunk.digest('hex'));
    this.chunk = null;
    this.inChunk = 0;
  }

  /** The hashes, once the last byte is in (`chunkSize` 0 and no chunks when no chunking was known). */
  digest(): BlobDigests {
    if (this.inChunk > 0) this.endChunk();
    const chunkSize = this.chunkSize ?? 0;
    return { sha256: this.whole.digest('hex'), size: this.size, chunkSize, chunks: this.chunks };
  }
}

/** A body read by {@link readHashedBody}. */
export interface HashedBody {
  readonly bytes: Uint8Array;
  /** Its hashes: the whole, and cut at `chunkSize` when one was given. */
  readonly digests: BlobDigests;
}

/**
 * Reads `req`'s body, at most `limit` bytes, into one buffer (allocated once from `Content-Length`
 * when the request has one), hashing every piece as it arrives; `chunkSize` also hashes each chunk.
 */
export function readHashedBody(
  req: IncomingMessage,
  limit: number,
  chunkSize: number | undefined,
): Promise<HashedBody> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    const length = declared === undefined ? null : Number(declared);
    if (length !== null && length > limit) {
      req.resume();
      reject(new BodyError('entity.too.large', `body of ${length} bytes is over ${limit}`));
      return;
    }
    const hashes = new StreamingDigests(chunkSize);
    const into = length !== null && Number.isSafeInteger(length) ? Buffer.allocUnsafe(length) : null;
    const pieces: Buffer[] = [];
    let received = 0;
    let done = false;
    const finish = (error: BodyError | null) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('close', onClose);
      if (error) {
        req.resume();
        return reject(error);
      }
      const bytes = into ? into.subarray(0, received) : Buffer.concat(pieces, received);
      resolve({ bytes, digests: hashes.digest() });
    };
    const onData = (piece: Buffer) => {
      if (done) return;
      if (received + piece.length > limit || (into && received + piece.length > into.length)) {
        return finish(new BodyError('entity.too.large', `body is over ${limit} bytes`));
      }
      if (into) piece.copy(into, received);
      else pieces.push(piece);
      received += piece.length;
      hashes.update(piece);
    };
    const onEnd = () => finish(null);
    const onAborted = () => finish(new BodyError('request.aborted', 'the request was aborted'));
    const onClose = () => {
      if (!req.complete) onAborted();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onAborted);
    req.on('close', onClose);
  });
}
