/**
 * Staged rollout, the one rule every player applies (in a page and in Node alike): a slot with
 * `rollout: { percent }` is taken by that share of players. Each player falls in a bucket from 0 to
 * 99 — the first two bytes of SHA-256(`clientId \n slot \n blob sha256`), as a big-endian number,
 * modulo 100 — so the same player decides the same way on every boot, and a new blob draws a new
 * sample of players. A player outside the rollout does not download the blob at all and acks the
 * slot `skipped`.
 */
import { sha256 } from './crypto.ts';
import { utf8 } from './bytes.ts';

/** What is hashed for a player's bucket of one blob of one slot (UTF-8). */
export function rolloutKey(clientId: string, slot: string, blobSha256: string): string {
  return `${clientId}\n${slot}\n${blobSha256}`;
}

/**
 * The bucket (0–99) of a SHA-256 digest of {@link rolloutKey}: for a side that hashes synchronously
 * (the relay, deciding which blobs to push to 10,000 players), the same rule as {@link rolloutBucket}.
 */
export function bucketOfDigest(digest: Uint8Array): number {
  return ((digest[0]! << 8) | digest[1]!) % 100;
}

/** True when a slot at `percent` is taken by a player in `bucket` (always, without a rollout or at 100 %). */
export function bucketInRollout(bucket: number, percent: number | undefined): boolean {
  return percent === undefined || percent >= 100 || bucket < percent;
}

/** The player's bucket (0–99) for one blob of one slot. */
export async function rolloutBucket(clientId: string, slot: string, blobSha256: string): Promise<number> {
  return bucketOfDigest(await sha256(utf8(rolloutKey(clientId, slot, blobSha256))));
}

/** True when this player takes the slot's new content (always, without a rollout or at 100 %). */
export async function inRollout(
  clientId: string,
  slot: string,
  blobSha256: string,
  percent: number | undefined,
): Promise<boolean> {
  if (percent === undefined || percent >= 100) return true;
  return bucketInRollout(await rolloutBucket(clientId, slot, blobSha256), percent);
}
