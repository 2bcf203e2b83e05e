/**
 * The frame codec of the TCP channel (and the seed's protocol): `[4-byte big-endian length][UTF-8 JSON]`.
 *
 * The decoder takes bytes in any split, refuses a frame whose header announces more than the limit
 * before buffering a single body byte, and reports every problem as a typed error.
 */
import { type ErrorCode as Code } from './errors.js';
/** Length of the frame header. */
export declare const FRAME_HEADER_BYTES = 4;
/** Frames the UTF-8 JSON of a value. */
export declare function encodeFrame(value: unknown): Uint8Array;
/** Frames a body that is already UTF-8 JSON (lets a server encode once and send to many). */
export declare function frameBytes(body: Uint8Array): Uint8Array;
/** One item out of the decoder: a parsed JSON value, or why a frame was refused. */
export type DecodedFrame = {
    readonly ok: true;
    readonly value: unknown;
    readonly bytes: number;
} | {
    readonly ok: false;
    readonly code: Code;
    readonly message: string;
    readonly fatal: boolean;
};
/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
    /** Largest body accepted (default {@link MAX_FRAME_BYTES}). */
    readonly maxFrameBytes?: number;
}
/**
 * Incremental frame decoder. `push` bytes as they arrive; it returns the frames completed by them.
 *
 * A bad body (invalid UTF-8 or JSON) is reported and skipped: the framing is intact, so decoding goes
 * on. A header over the limit is fatal: the decoder yields one `FRAME_TOO_LARGE` and then stays
 * failed, holding no bytes, because the stream can no longer be trusted to be in step.
 */
export declare class FrameDecoder {
    private readonly max;
    private readonly chunks;
    private held;
    private need;
    private failed;
    constructor(options?: FrameDecoderOptions);
    /** Bytes held, waiting for the rest of a frame. */
    get bufferedBytes(): number;
    /** True after a fatal error: further input is ignored. */
    get isFailed(): boolean;
    /** Feeds bytes; returns the frames (and errors) they complete, in order. */
    push(bytes: Uint8Array): DecodedFrame[];
    /** Call at end of stream: reports a frame cut short, if one was in progress. */
    end(): DecodedFrame[];
    /** Removes and returns the first `n` held bytes, copying only when they span chunks. */
    private take;
}
/** Parses one frame body: strict UTF-8, then JSON. */
export declare function decodeBody(body: Uint8Array): DecodedFrame;
