/**
 * `POST /api/rooms/:room/releases` with a bundle body (`protocol/bundle.ts`): the publish and the raw
 * bytes of its big blobs in one request. The same steps as a JSON publish answered `BLOB_MISSING`,
 * its uploads and its publish again — run here, one after another, on one request: the release is
 * verified before any raw byte is kept; each raw blob the relay lacks is read as a
 * `PUT /api/blobs/:sha256` would be (hashed whole and per chunk while it streams in, checked,
 * stored), one it has is dropped as it comes; then the release is published. Cheap before
 * expensive: the head's length, its sizes and the `Content-Length` are checked before anything is
 * verified or stored. Whatever is refused, the rest of the body is dropped as it comes.
 */
import type { Request, RequestHandler, Response } from 'express';
import {
  BUNDLE_PREFIX_BYTES,
  ErrorCode,
  MAX_TEXTURE_BYTES,
  parseBundleHead,
  type BundleHead,
  type ErrorCode as Code,
} from '../../protocol/index.ts';
import type { ApiContext } from './api-context.ts';
import { BodyReader } from './body-reader.ts';
import { answerPublish, publishInput } from './publishing.ts';
import { parseJson, roomParam, safe } from './respond.ts';

/** A refusal of the bundle: where it is counted (`publish` or `upload`), its code and words. */
interface BundleRefusal {
  readonly source: 'publish' | 'upload';
  readonly code: Code;
  readonly message: string;
  readonly missing?: readonly string[];
}

const refusal = (
  code: Code,
  message: string,
  source: BundleRefusal['source'] = 'publish',
  missing?: readonly string[],
): BundleRefusal => ({ source, code, message, ...(missing ? { missing } : {}) });

/** The body ended before the bytes its head announced. */
const endsEarly = (): BundleRefusal => refusal(ErrorCode.BAD_MESSAGE, 'the bundle ends early');

/** Reads past `size` bytes of the body (a raw blob the relay does not need); a refusal if it ends first. */
async function drop(reader: BodyReader, size: number): Promise<BundleRefusal | null> {
  return (await reader.stream(size, () => {})) ? null : endsEarly();
}

/** The handler; `next()` for a request that is no bundle is the caller's business. */
export function bundlePublish(ctx: ApiContext): RequestHandler {
  return safe(async (req, res) => {
    const room = roomParam(req, res);
    if (room === null) return;
    const reader = new BodyReader(req);
    try {
      const outcome = await publishBundle(ctx, req, res, room, reader);
      if (outcome)
        ctx.refuseCounted(req, res, outcome.source, outcome.code, outcome.message, outcome.missing);
    } finally {
      reader.release();
    }
  });
}

/** Reads and publishes the bundle; a refusal to answer, or null once answered. */
async function publishBundle(
  ctx: ApiContext,
  req: Request,
  res: Response,
  room: string,
  reader: BodyReader,
): Promise<BundleRefusal | null> {
  const { relay, maxBodyBytes } = ctx.deps;
  const prefix = await reader.exactly(BUNDLE_PREFIX_BYTES);
  if (!prefix) return endsEarly();
  const headBytes = prefix.readUInt32BE(0);
  if (headBytes > maxBodyBytes) {
    return refusal(ErrorCode.TOO_LARGE, `bundle head of ${headBytes} bytes is over ${maxBodyBytes}`);
  }
  const raw = await reader.exactly(headBytes);
  if (!raw) return endsEarly();
  const json = parseJson(raw);
  if (!json.ok) return refusal(ErrorCode.BAD_JSON, json.message);
  const parsed = parseBundleHead(json.value);
  if (!parsed.ok) return refusal(parsed.code, parsed.message);
  const head = parsed.value;
  const sizes = checkSizes(head, req.headers['content-length'], BUNDLE_PREFIX_BYTES + headBytes);
  if (sizes) return sizes;

  const input = publishInput(ctx, req, room, head);
  const first = await relay.publish(input);
  // Everything was here already (the raw bytes are dropped as they come): published.
  if (first.ok) {
    answerPublish(ctx, req, res, room, first);
    return null;
  }
  if (first.code !== ErrorCode.BLOB_MISSING) return refusal(first.code, first.message);
  const missing = first.missing ?? [];
  const carried = new Set(head.raw.map((r) => r.sha256));
  if (missing.some((sha) => !carried.has(sha))) {
    return refusal(first.code, first.message, 'publish', missing);
  }
  for (const { sha256, size } of head.raw) {
    const taken = missing.includes(sha256)
      ? await takeBlob(ctx, reader, sha256, size)
      : await drop(reader, size);
    if (taken) return taken;
  }
  if (!(await reader.atEnd())) return refusal(ErrorCode.BAD_MESSAGE, 'bytes after the bundle’s last blob');
  const published = await relay.publish(input);
  if (!published.ok) return refusal(published.code, published.message, 'publish', published.missing);
  answerPublish(ctx, req, res, room, published);
  return null;
}

/**
 * The cheap checks of a parsed head: each raw blob listed once and at most a texture's size, and a
 * `Content-Length` (if any) of exactly the prefix, the head and the blobs.
 */
function checkSizes(head: BundleHead, declared: string | undefined, headEnd: number): BundleRefusal | null {
  const seen = new Set<string>();
  let total = headEnd;
  for (const { sha256, size } of head.raw) {
    if (seen.has(sha256)) return refusal(ErrorCode.BAD_MESSAGE, `blob ${sha256} is listed twice`);
    seen.add(sha256);
    if (size > MAX_TEXTURE_BYTES) {
      return refusal(ErrorCode.TOO_LARGE, `blob ${sha256} of ${size} bytes is over ${MAX_TEXTURE_BYTES}`);
    }
    total += size;
  }
  if (declared !== undefined && Number(declared) !== total) {
    return refusal(ErrorCode.BAD_MESSAGE, `Content-Length ${declared} is not the bundle's ${total} bytes`);
  }
  return null;
}

/** One raw blob the relay lacks, read as its upload would be; a refusal, or null once stored. */
async function takeBlob(
  ctx: ApiContext,
  reader: BodyReader,
  sha256: string,
  size: number,
): Promise<BundleRefusal | null> {
  const { relay } = ctx.deps;
  const expected = await relay.expectUpload(sha256);
  if (!expected.ok) return refusal(expected.code, expected.message, 'upload');
  if (expected.stored) {
    // Uploaded meanwhile (another publisher): these bytes are not needed.
    return drop(reader, size);
  }
  if (size !== expected.size) {
    return refusal(
      ErrorCode.HASH_MISMATCH,
      `blob ${sha256} is ${expected.size} bytes, not ${size}`,
      'upload',
    );
  }
  // Hashed, written out of sight and (a PNG) checked while it streams in.
  const incoming = relay.incomingUpload(sha256, size, expected.chunkSize);
  const whole = await reader.stream(size, (piece) => incoming.take(piece));
  if (!whole) {
    await incoming.drop();
    return endsEarly();
  }
  const stored = await relay.upload(incoming);
  return stored.ok ? null : refusal(stored.code, stored.message, 'upload');
}
