/**
 * How many bytes a socket has been handed and the kernel has not taken yet. A write of a whole 5 MB
 * patch completes only once the kernel has taken its last byte — with a slow reader, seconds later —
 * while the kernel takes it piece by piece all along; libuv's write queue shows those pieces going.
 * The fan-out scheduler looks at it before it calls a slot holder stalled (`hub/fanout.ts`).
 */
import type { Duplex } from 'node:stream';

/** The part of a socket's handle this reads (libuv's live write queue size). */
interface QueueHandle {
  readonly writeQueueSize?: unknown;
}

/** Bytes written to `socket` that the kernel has not taken; undefined where that can't be seen. */
export function unflushedOf(socket: Duplex): number | undefined {
  const handle = (socket as Duplex & { _handle?: QueueHandle | null })._handle;
  const size = handle?.writeQueueSize;
  return typeof size === 'number' ? size : undefined;
}
