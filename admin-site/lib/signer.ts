/**
 * Which releases this browser's key may build on, and who signed a release as far as this browser can
 * tell: its own key, another key it trusts for the room (a key it signed with before a rotation, or
 * one those keys added by a signed rotation record), or a key it cannot vouch for. The relay's own
 * list of room keys is never taken on its word: the relay is untrusted.
 */
import { publisherTrust } from '../../publisher/trust.ts';
import type { TrustedKeys } from '../../protocol/keys.ts';
import { verifyReleaseSignature, type SignedRelease } from '../../protocol/release.ts';
import type { StoredKey } from './keystore.ts';
import { RelayApi } from '../../publisher/relay-api.ts';

/** The verdict on a release's signature. */
export type Signer =
  | { readonly kind: 'mine' }
  | { readonly kind: 'room-key'; readonly keyId: string }
  | { readonly kind: 'unknown'; readonly keyId: string };

/**
 * The keys this browser trusts for a room: its key, the keys it held before (rotations), extended
 * along the relay's rotation records, each checked.
 */
export async function browserTrust(relay: string, room: string, key: StoredKey | null): Promise<TrustedKeys> {
  if (!key) return new Map();
  const keys = await new RelayApi(relay).keys(room).catch(() => null);
  return publisherTrust(room, key.publicKey, key.previousKeys ?? [], keys?.rotations ?? []);
}

/** Who signed `signed`: this browser's key, another trusted key, or one it can't vouch for. */
export async function signerOf(
  signed: SignedRelease,
  ownPublicKey: string | null,
  trusted: TrustedKeys,
): Promise<Signer> {
  if (ownPublicKey && (await verifyReleaseSignature(signed, ownPublicKey))) return { kind: 'mine' };
  const publicKey = trusted.get(signed.release.keyId);
  if (publicKey && (await verifyReleaseSignature(signed, publicKey))) {
    return { kind: 'room-key', keyId: signed.release.keyId };
  }
  return { kind: 'unknown', keyId: signed.release.keyId };
}
