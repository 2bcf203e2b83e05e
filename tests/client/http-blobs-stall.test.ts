/**
 * A whole-blob GET that goes quiet (headers never come, or the body stops half way) gives up after
 * `stallMs` and the blob comes from the inner source; one that keeps coming is read to the end. A
 * real HTTP server on 127.0.0.1 plays the relay; the inner source stands in for the relay connection.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { describeBlob, type BlobDescriptor } from '../../protocol/blobs.ts';
import { ok } from '../../protocol/errors.ts';
import { HttpBlobs } from '../../player/core/http-blobs.ts';
import { countingSource } from './helpers/blob-sources.ts';

const STALL_MS = 300;
const blob = new Uint8Array(200_000).map((_, i) => (i * 7) % 251);

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

/** Serves each GET with `answer`; resolves with the server's base URL. */
async function serve(answer: (res: ServerResponse) => void): Promise<string> {
  server = createServer((_req, res) => answer(res));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function fetchWith(
  url: string,
): Promise<{ ms: number; source: ReturnType<typeof countingSource>; http: HttpBlobs; desc: BlobDescriptor }> {
  const desc = await describeBlob(blob);
  const source = countingSource(blob);
  const http = new HttpBlobs({ server: url, inner: source, stallMs: STALL_MS });
  const started = Date.now();
  const got = await http.fetch(desc);
  expect(got).toEqual(ok(blob));
  return { ms: Date.now() - started, source, http, desc };
}

describe('whole blobs over HTTP from a relay that goes quiet', () => {
  it('gives up on a body that stops half way after the stall time, and takes the blob from the inner source', async () => {
    const url = await serve((res) => {
      res.writeHead(200, { 'content-length': String(blob.length) });
      res.write(blob.subarray(0, 50_000)); // and then nothing, with the connection open
    });
    const { ms, source, http } = await fetchWith(url);
    expect(http.lastFallback).toBe('network');
    expect(source.asked).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(STALL_MS - 20);
    expect(ms).toBeLessThan(STALL_MS + 3_000);
  });

  it('gives up on an answer whose headers never come', async () => {
    const url = await serve(() => {}); // never answers
    const { source, http } = await fetchWith(url);
    expect(http.lastFallback).toBe('network');
    expect(source.asked).toBe(1);
  });

  it('reads a body that keeps coming, slower in all than the stall time, to its end', async () => {
    const url = await serve((res) => {
      res.writeHead(200, { 'content-length': String(blob.length) });
      let at = 0;
      const step = () => {
        res.write(blob.subarray(at, (at += 40_000)));
        if (at >= blob.length) res.end();
        else setTimeout(step, STALL_MS / 3);
      };
      step();
    });
    const { source, http, ms } = await fetchWith(url);
    expect(ms).toBeGreaterThan(STALL_MS);
    expect(http.lastFallback).toBeNull();
    expect(http.fetchedWhole).toBe(1);
    expect(source.asked).toBe(0);
  });
});
