/**
 * Who signed a release, as far as this browser can tell: its own key, another key the room trusts
 * (after a rotation, older releases are signed by the previous key), or nobody it knows.
 */
import { verifyReleaseSignature, type SignedRelease } from '../../protocol/release.ts';

/** The verdict on a release's signature. */
export type Signer =
  | { readonly kind: 'mine' }
  | { readonly kind: 'room-key'; readonly keyId: string }
  | { readonly kind: 'unknown'; readonly keyId: string };

/**
 * Checks a release against this browser's key, then against the keys the relay lists for the room.
 * The relay's list is only a hint (the relay is untrusted); what it can do is make a release look
 * "signed by a room key" when it is not mine, never make it look like mine.
 */
export async function signerOf(
  signed: SignedRelease,
  ownPublicKey: string | null,
  roomKeys: readonly { readonly keyId: string; readonly publicKey: string }[],
): Promise<Signer> {
  if (ownPublicKey && (await verifyReleaseSignature(signed, ownPublicKey))) return { kind: 'mine' };
  const listed = roomKeys.find((k) => k.keyId === signed.release.keyId);
  if (listed && (await verifyReleaseSignature(signed, listed.publicKey))) {
    return { kind: 'room-key', keyId: listed.keyId };
  }
  return { kind: 'unknown', keyId: signed.release.keyId };
}
