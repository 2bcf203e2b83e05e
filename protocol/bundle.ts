/**
 * A publish in one request: `POST /api/rooms/:room/releases` with `Content-Type:`
 * {@link BUNDLE_CONTENT_TYPE} carries the publish body and the raw bytes of its big blobs together:
 *
 *     [4-byte big-endian length L][L bytes: the head, JSON][the raw blobs, one after another]
 *
 * The head is the JSON publish body (`signed`, inline `blobs`, `publicKey`) plus `raw`: the blobs
 * that follow, in order, each as `{ sha256, size }`. The relay reads the head, verifies the release
 * (cheap before expensive: nothing of the raw bytes is kept before that), reads each raw blob the
 * relay lacks as it would a `PUT /api/blobs/:sha256` (hashed while it streams, checked, stored),
 * skips those it has, and publishes — the JSON publish's `BLOB_MISSING` → upload → publish again, in
 * one round trip instead of three (docs/server.md#publishing).
 */
import * as v from 'valibot';
import { ErrorCode } from './errors.ts';
import { PublishBodySchema } from './http.ts';
import { Sha256Hex } from './release.ts';
import { validator } from './validate.ts';

/** The bundle's media type. */
export const BUNDLE_CONTENT_TYPE = 'application/vnd.patchcast.bundle';

/** Bytes of the head's length prefix. */
export const BUNDLE_PREFIX_BYTES = 4;

/** Most raw blobs one bundle may carry (a release names a handful of slots). */
export const MAX_BUNDLE_RAW = 32;

/** One raw blob of a bundle, as the head lists it. */
export const BundleRawSchema = v.object({
  sha256: Sha256Hex,
  size: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
});

/** A bundle's head: the publish body and the raw blobs that follow it. */
export const BundleHeadSchema = v.object({
  ...PublishBodySchema.entries,
  raw: v.pipe(v.array(BundleRawSchema), v.maxLength(MAX_BUNDLE_RAW)),
});
/** A bundle's head. */
export type BundleHead = v.InferOutput<typeof BundleHeadSchema>;
/** Validates a bundle's head. */
export const parseBundleHead = validator(BundleHeadSchema, ErrorCode.BAD_MESSAGE, 'bundle head');

/** Encodes a bundle: the head (its `raw` listing `blobs`, in order), then each blob's bytes. */
export function encodeBundle(
  body: Omit<BundleHead, 'raw'>,
  blobs: readonly (readonly [sha256: string, bytes: Uint8Array])[],
): Uint8Array<ArrayBuffer> {
  const head: BundleHead = { ...body, raw: blobs.map(([sha256, bytes]) => ({ sha256, size: bytes.length })) };
  const json = new TextEncoder().encode(JSON.stringify(head));
  const total = BUNDLE_PREFIX_BYTES + json.length + blobs.reduce((sum, [, b]) => sum + b.length, 0);
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, json.length);
  out.set(json, BUNDLE_PREFIX_BYTES);
  let at = BUNDLE_PREFIX_BYTES + json.length;
  for (const [, bytes] of blobs) {
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}
