/**
 * Which releases this browser's key may build on, and who signed a release as far as this browser can
 * tell: its own key, another key it trusts for the room (a key it signed with before a rotation, or
 * one those keys added by a signed rotation record), or a key it cannot vouch for. The relay's own
 * list of room keys is never taken on its word: the relay is untrusted.
 */
import { publisherTrust } from '../../publisher/trust.ts';
import { keyIdOf } from '../../protocol/crypto.ts';
import { ErrorCode } from '../../protocol/errors.ts';
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

/**
 * The verdict on a live release before any of it is shown: its signer, or why it is not shown —
 * `WRONG_ROOM` (another room's release), `BAD_SIGNATURE` (signed under a key this browser trusts,
 * but the signature does not verify: changed after signing) or `UNKNOWN_KEY` (a key this browser
 * does not trust for the room, or no key at all here).
 */
export type LiveVerdict =
  | { readonly ok: true; readonly signer: Exclude<Signer, { kind: 'unknown' }> }
  | {
      readonly ok: false;
      readonly code:
        typeof ErrorCode.WRONG_ROOM | typeof ErrorCode.BAD_SIGNATURE | typeof ErrorCode.UNKNOWN_KEY;
      readonly keyId: string;
    };

/** Checks `signed`, the relay's live release of `room`, under the keys this browser trusts. */
export async function verifyLive(
  signed: SignedRelease,
  room: string,
  ownPublicKey: string | null,
  trusted: TrustedKeys,
): Promise<LiveVerdict> {
  const { keyId } = signed.release;
  if (signed.release.room !== room) return { ok: false, code: ErrorCode.WRONG_ROOM, keyId };
  const signer = await signerOf(signed, ownPublicKey, trusted);
  if (signer.kind !== 'unknown') return { ok: true, signer };
  const known = trusted.has(keyId) || (ownPublicKey !== null && (await keyIdOf(ownPublicKey)) === keyId);
  return { ok: false, code: known ? ErrorCode.BAD_SIGNATURE : ErrorCode.UNKNOWN_KEY, keyId };
}
