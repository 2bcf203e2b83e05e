/**
 * The swarm's wire: what players say to each other over a data channel. Control messages are JSON
 * text; chunks are binary (never base64), so a 5 MB texture costs 5 MB on the wire.
 */
import * as v from 'valibot';
import { ErrorCode, fail, ok, type Result } from '../errors.ts';
import { fromBase64, fromHex, toBase64, toHex } from '../bytes.ts';
import { Count, Sha256Hex, SignedReleaseSchema } from '../release.ts';
import { validator, type Validator } from '../validate.ts';

/** Peer message kinds. */
export const PeerMessageType = {
  hello: 'peer.hello',
  have: 'peer.have',
  release: 'peer.release',
  get: 'peer.get',
  none: 'peer.none',
} as const;
/** One of {@link PeerMessageType}. */
export type PeerMessageType = (typeof PeerMessageType)[keyof typeof PeerMessageType];

/** Which chunks of each blob a peer holds: sha256 → bitfield (bit i set = chunk i held), base64. */
const HaveMap = v.pipe(
  v.record(Sha256Hex, v.pipe(v.string(), v.maxLength(4096))),
  v.check((m) => Object.keys(m).length <= 64, 'too many blobs'),
);

/** First message each way on a new link: the seq held and the chunks held. */
export const PeerHelloSchema = v.object({
  type: v.literal(PeerMessageType.hello),
  seq: Count,
  have: HaveMap,
});
/** `peer.hello`. */
export type PeerHello = v.InferOutput<typeof PeerHelloSchema>;

/** "I now hold chunk `index` of `sha256`" (or, with `all`, every chunk of it). */
export const PeerHaveSchema = v.object({
  type: v.literal(PeerMessageType.have),
  sha256: Sha256Hex,
  index: Count,
  all: v.exactOptional(v.boolean()),
});
/** `peer.have`. */
export type PeerHave = v.InferOutput<typeof PeerHaveSchema>;

/** A signed release passed on by a peer that accepted it. */
export const PeerReleaseSchema = v.object({
  type: v.literal(PeerMessageType.release),
  signed: SignedReleaseSchema,
});
/** `peer.release`. */
export type PeerRelease = v.InferOutput<typeof PeerReleaseSchema>;

/** Asks for one chunk; the answer is a binary chunk frame or `peer.none`. */
export const PeerGetSchema = v.object({
  type: v.literal(PeerMessageType.get),
  sha256: Sha256Hex,
  index: Count,
});
/** `peer.get`. */
export type PeerGet = v.InferOutput<typeof PeerGetSchema>;

/** "I can't give you that chunk now" (don't hold it, or too busy): ask someone else. */
export const PeerNoneSchema = v.object({
  type: v.literal(PeerMessageType.none),
  sha256: Sha256Hex,
  index: Count,
});
/** `peer.none`. */
export type PeerNone = v.InferOutput<typeof PeerNoneSchema>;

/** Any swarm control message. */
export type PeerMessage = PeerHello | PeerHave | PeerRelease | PeerGet | PeerNone;

const peerValidators: { readonly [T in PeerMessageType]: Validator<Extract<PeerMessage, { type: T }>> } = {
  'peer.hello': validator(PeerHelloSchema, ErrorCode.BAD_MESSAGE, 'peer.hello'),
  'peer.have': validator(PeerHaveSchema, ErrorCode.BAD_MESSAGE, 'peer.have'),
  'peer.release': validator(PeerReleaseSchema, ErrorCode.BAD_MESSAGE, 'peer.release'),
  'peer.get': validator(PeerGetSchema, ErrorCode.BAD_MESSAGE, 'peer.get'),
  'peer.none': validator(PeerNoneSchema, ErrorCode.BAD_MESSAGE, 'peer.none'),
};

function isPeerMessageType(value: unknown): value is PeerMessageType {
  return typeof value === 'string' && Object.hasOwn(peerValidators, value);
}

/** Largest control message accepted from a peer (a release with its chunk lists fits easily). */
export const MAX_PEER_TEXT_BYTES = 256 * 1024;

/** Parses a control message (JSON text) from a peer. */
export function parsePeerMessage(text: string): Result<PeerMessage> {
  if (text.length > MAX_PEER_TEXT_BYTES) return fail(ErrorCode.FRAME_TOO_LARGE, 'peer message too large');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(ErrorCode.BAD_JSON, 'peer message is not JSON');
  }
  if (typeof value !== 'object' || value === null)
    return fail(ErrorCode.BAD_MESSAGE, 'peer message is not an object');
  const type: unknown = 'type' in value ? value.type : undefined;
  if (!isPeerMessageType(type)) return fail(ErrorCode.UNKNOWN_TYPE, 'unknown peer message type');
  return peerValidators[type](value);
}

/** Serializes a control message. */
export function encodePeerMessage(message: PeerMessage): string {
  return JSON.stringify(message);
}

// Binary chunk frame: magic 'P' 0x01, 32 bytes of the blob's SHA-256, uint32 BE chunk index, the bytes.
const MAGIC0 = 0x50;
const MAGIC1 = 0x01;
/** Bytes before the payload in a chunk frame. */
export const CHUNK_FRAME_HEADER = 2 + 32 + 4;

/** A chunk as it travels between peers. */
export interface ChunkFrame {
  readonly sha256: string;
  readonly index: number;
  readonly bytes: Uint8Array;
}

/**
 * Encodes a chunk as one binary frame. A chunk that came in a frame — its bytes the payload view that
 * {@link decodeChunkFrame} gave, still preceded by that frame's header — is passed on as that frame,
 * without a copy: a player serves on most chunks it got, and a copy of 64 KiB per chunk served was
 * as much garbage as the whole download (docs/swarm.md#benchmark). Same bytes either way.
 */
export function encodeChunkFrame(chunk: ChunkFrame): Uint8Array {
  const framed = frameAround(chunk);
  if (framed) return framed;
  const out = new Uint8Array(CHUNK_FRAME_HEADER + chunk.bytes.length);
  out[0] = MAGIC0;
  out[1] = MAGIC1;
  out.set(fromHex(chunk.sha256), 2);
  new DataView(out.buffer).setUint32(34, chunk.index, false);
  out.set(chunk.bytes, CHUNK_FRAME_HEADER);
  return out;
}

/** The frame `chunk.bytes` sits in (the header before them is this chunk's), or null. */
function frameAround({ sha256, index, bytes }: ChunkFrame): Uint8Array | null {
  if (bytes.byteOffset < CHUNK_FRAME_HEADER) return null;
  const frame = new Uint8Array(
    bytes.buffer,
    bytes.byteOffset - CHUNK_FRAME_HEADER,
    CHUNK_FRAME_HEADER + bytes.length,
  );
  const header = decodeChunkFrame(frame);
  return header.ok && header.value.index === index && header.value.sha256 === sha256 ? frame : null;
}

/** Decodes a binary chunk frame; the payload is a view into `data`. */
export function decodeChunkFrame(data: Uint8Array): Result<ChunkFrame> {
  if (data.length < CHUNK_FRAME_HEADER || data[0] !== MAGIC0 || data[1] !== MAGIC1) {
    return fail(ErrorCode.BAD_MESSAGE, 'not a chunk frame');
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return ok({
    sha256: toHex(data.subarray(2, 34)),
    index: view.getUint32(34, false),
    bytes: data.subarray(CHUNK_FRAME_HEADER),
  });
}

/** A set of chunk indexes as a compact bitfield (base64), for `peer.hello`. */
export function encodeBitfield(indexes: Iterable<number>, count: number): string {
  const bits = new Uint8Array(Math.ceil(count / 8));
  for (const i of indexes) if (i >= 0 && i < count) bits[i >> 3]! |= 1 << (i & 7);
  return toBase64(bits);
}

/** Reads a bitfield back into chunk indexes (bits past `count` are ignored). */
export function decodeBitfield(text: string, count: number): number[] {
  let bits: Uint8Array;
  try {
    bits = fromBase64(text);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (let i = 0; i < Math.min(count, bits.length * 8); i++) if (bits[i >> 3]! & (1 << (i & 7))) out.push(i);
  return out;
}
