/**
 * How a whole-blob body is read: a byte stream (Chromium's and Node's fetch) straight into the one
 * buffer of the slot's size (a BYOB reader), any other stream chunk by chunk. Both ways: every byte
 * arrives whatever the cuts, progress is told per read, and a body longer or shorter than the slot
 * (no length announced: a proxy's chunked encoding) sends the blob to the inner source (`length`).
 * Answers here are `Response`s around streams the test makes; a real server: http-blobs.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { describeBlob } from '../../protocol/blobs.ts';
import { ok } from '../../protocol/errors.ts';
import { HttpBlobs } from '../../player/core/http-blobs.ts';
import { countingSource } from './helpers/blob-sources.ts';

const blob = new Uint8Array(300_000).map((_, i) => (i * 13) % 251);

type Kind = 'bytes' | 'default';

/** A body of `bytes` cut into reads of `cut` bytes, as a byte stream or a default one; records reader modes. */
function body(kind: Kind, bytes: Uint8Array, cut: number, modes: string[]): ReadableStream<Uint8Array> {
  let at = 0;
  const next = () => {
    const part = bytes.slice(at, at + cut);
    at += part.length;
    return part;
  };
  const stream =
    kind === 'bytes'
      ? new ReadableStream({
          type: 'bytes',
          pull(controller) {
            if (at >= bytes.length) {
              // A byte source answers a pending BYOB read at its end with zero bytes (as fetch's do).
              controller.close();
              return controller.byobRequest?.respond(0);
            }
            controller.enqueue(next());
          },
        })
      : new ReadableStream<Uint8Array>({
          pull(controller) {
            if (at >= bytes.length) return controller.close();
            controller.enqueue(next());
          },
        });
  const getReader = stream.getReader.bind(stream) as (o?: { mode?: 'byob' }) => ReadableStreamDefaultReader;
  Object.defineProperty(stream, 'getReader', {
    value: (options?: { mode?: 'byob' }) => {
      modes.push(options?.mode ?? 'default');
      return getReader(options);
    },
  });
  return stream as ReadableStream<Uint8Array>;
}

/** Fetches `blob` through an `HttpBlobs` whose GET answers with `served`, cut at `cut`. */
async function fetchServed(kind: Kind, served: Uint8Array, cut: number) {
  const desc = await describeBlob(blob, 65_536);
  const source = countingSource(blob);
  const modes: string[] = [];
  const progress: number[] = [];
  const http = new HttpBlobs({
    server: 'http://relay.invalid',
    inner: source,
    fetch: async () => new Response(body(kind, served, cut, modes), { status: 200 }),
  });
  const got = await http.fetch(desc, { onProgress: (received) => progress.push(received) });
  return { got, source, modes, progress, http };
}

describe('reading a whole blob', () => {
  for (const kind of ['bytes', 'default'] as const) {
    const mode = kind === 'bytes' ? 'BYOB' : 'default';
    describe(`a ${kind} stream`, () => {
      it(`reads every byte with a ${mode} reader, whatever the cuts, progress told per read`, async () => {
        for (const cut of [1_000, 65_536, 99_999, 300_000]) {
          const { got, source, modes, progress, http } = await fetchServed(kind, blob, cut);
          expect(got, `cut ${cut}`).toEqual(ok(blob));
          expect(source.asked).toBe(0);
          expect(http.fetchedWhole).toBe(1);
          // A stream that is no byte stream refuses the BYOB reader: the default one reads it.
          expect(modes).toEqual(kind === 'bytes' ? ['byob'] : ['byob', 'default']);
          expect(progress.at(-1)).toBe(blob.length);
          expect(progress.length).toBeGreaterThanOrEqual(Math.ceil(blob.length / cut));
          expect(progress).toEqual([...progress].sort((a, b) => a - b));
          expect(http.traffic().bytesFromRelay).toBe(blob.length);
        }
      });

      it('sends a body longer than the slot to the inner source (length)', async () => {
        const longer = new Uint8Array(blob.length + 1);
        longer.set(blob);
        for (const cut of [blob.length, blob.length + 1, 7_000]) {
          const { got, source, http } = await fetchServed(kind, longer, cut);
          expect(got, `cut ${cut}`).toEqual(ok(blob));
          expect(source.asked).toBe(1);
          expect(http.lastFallback).toBe('length');
        }
      });

      it('sends a body shorter than the slot to the inner source (length)', async () => {
        const { got, source, http } = await fetchServed(kind, blob.subarray(0, blob.length - 1), 65_536);
        expect(got).toEqual(ok(blob));
        expect(source.asked).toBe(1);
        expect(http.lastFallback).toBe('length');
      });

      it('sends a body of the right length but wrong bytes to the inner source (hash)', async () => {
        const wrong = blob.slice();
        wrong[123_456] = wrong[123_456]! ^ 1;
        const { got, source, http } = await fetchServed(kind, wrong, 65_536);
        expect(got).toEqual(ok(blob));
        expect(source.asked).toBe(1);
        expect(http.lastFallback).toBe('hash');
      });
    });
  }
});
