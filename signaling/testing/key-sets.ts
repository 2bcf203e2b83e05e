/** Test helper: rotation records (key sets) made in one call. */
import { signRotation, type SignedRotation, type SigningKey } from '../../protocol/index.ts';

/**
 * Key set `version` of `room` holding `keys` (signing keys or public keys), signed by `signers`.
 */
export function keySetRecord(
  room: string,
  version: number,
  keys: readonly (SigningKey | string)[],
  signers: readonly SigningKey[],
  threshold = 1,
  now = new Date(),
): Promise<SignedRotation> {
  return signRotation(
    {
      format: 1,
      kind: 'key-set',
      room,
      version,
      keys: keys.map((k) => (typeof k === 'string' ? k : k.publicKey)),
      threshold,
      createdAt: now.toISOString(),
    },
    signers,
  );
}
