/** Blob sources for the client's tests. */
import { ok } from '../../../protocol/errors.ts';
import type { BlobSource } from '../../../player/core/transport.ts';

/**
 * An inner source (the relay connection or the swarm, where `HttpBlobs` falls back) that has `blob`,
 * counting how often it was asked.
 */
export function countingSource(blob: Uint8Array): BlobSource & { asked: number } {
  const source = {
    asked: 0,
    fetch: async () => (source.asked++, ok(blob)),
    traffic: () => ({ bytesFromRelay: 0, bytesFromPeers: 0, peers: 0 }),
  };
  return source;
}
