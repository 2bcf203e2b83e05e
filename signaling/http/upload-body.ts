/**
 * A raw upload's body (`PUT /api/blobs/:sha256`) fed to the relay piece by piece as it streams in
 * (`relay/incoming-blob.ts`: hashed, written out of sight and, a PNG, checked meanwhile), so that
 * little is left to do when the last byte lands. The same limits and failures as `express.raw`: a
 * `Content-Length` over the limit is refused before a byte is read (`entity.too.large`, 413
 * `TOO_LARGE`), a body that grows past it is cut off there, an aborted one is `request.aborted`.
 */
import type { IncomingMessage } from 'node:http';
import type { IncomingBlob } from '../relay/incoming-blob.ts';

/** An error the API's error handler maps to a code (`type` as body-parser's errors have it). */
class BodyError extends Error {
  constructor(
    readonly type: 'entity.too.large' | 'request.aborted',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads `req`'s body into `incoming` (at most its declared size: a `Content-Length` over it is
 * refused before a byte is read), each piece taken — hashed, written, checked — as it arrives.
 * Rejects with a {@link BodyError}; the caller drops `incoming` then.
 */
export function readBodyInto(req: IncomingMessage, incoming: IncomingBlob): Promise<void> {
  return new Promise((resolve, reject) => {
    const limit = incoming.buffer.length;
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) {
      req.resume();
      reject(new BodyError('entity.too.large', `body of ${declared} bytes is over ${limit}`));
      return;
    }
    let done = false;
    const finish = (error: BodyError | null) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('close', onClose);
      if (!error) return resolve();
      req.resume();
      reject(error);
    };
    const onData = (piece: Buffer) => {
      if (done) return;
      if (!incoming.take(piece)) finish(new BodyError('entity.too.large', `body is over ${limit} bytes`));
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
