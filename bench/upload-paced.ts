/**
 * A bundle publish sent at a publisher's pace (for `bench/upload.ts`): the body written in 64 KiB
 * pieces at `--pace` MB/s, as over a real uplink, not as fast as loopback takes it — timed from its
 * last byte to the answer. That is what the relay still does once everything has arrived (a PNG's
 * check and the blob's write run while it arrives); the baseline is the bare server's answer to the
 * same bytes at the same pace.
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ApiPath, BUNDLE_CONTENT_TYPE } from '../protocol/index.ts';
import type { BuiltRelease } from '../publisher/build.ts';
import { OPERATOR_HEADERS, releaseBundle } from '../signaling/testing/helpers.ts';

const PIECE_BYTES = 64 * 1024;

/** Ms from the last byte written to the answer's status; throws unless it is `want`. */
async function paced(
  url: string,
  method: 'POST' | 'PUT',
  headers: Record<string, string>,
  body: Uint8Array,
  bytesPerMs: number,
  want: number,
): Promise<number> {
  const req = request(url, {
    method,
    headers: { ...headers, 'content-length': String(body.length) },
    agent: false,
  });
  const answered = new Promise<{ status: number; at: number; text: string }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      const at = performance.now();
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, at, text }));
    });
  });
  const t0 = performance.now();
  for (let at = 0; at < body.length; at += PIECE_BYTES) {
    // On schedule: the piece that ends at byte `end` goes out at t0 + end / rate.
    const wait = t0 + at / bytesPerMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    req.write(body.subarray(at, Math.min(at + PIECE_BYTES, body.length)));
  }
  const last = await new Promise<number>((resolve) => req.end(() => resolve(performance.now())));
  const { status, at, text } = await answered;
  if (status !== want) throw new Error(`${method} answered ${status}: ${text}`);
  return at - last;
}

/** `built` published in one bundle at `mbPerSec`: ms from its last byte to the 201. */
export function pacedBundle(url: string, built: BuiltRelease, mbPerSec: number): Promise<number> {
  const headers = { 'content-type': BUNDLE_CONTENT_TYPE, ...OPERATOR_HEADERS };
  const path = url + ApiPath.releases(built.signed.release.room);
  return paced(path, 'POST', headers, releaseBundle(built), mbPerSec * 1000, 201);
}

/** `bytes` PUT to the bare server at `mbPerSec`: ms from the last byte to its answer. */
export function pacedBare(url: string, bytes: Uint8Array, mbPerSec: number): Promise<number> {
  return paced(`${url}/blob`, 'PUT', {}, bytes, mbPerSec * 1000, 201);
}
