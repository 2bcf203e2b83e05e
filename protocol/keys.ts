/**
 * Room keys: the key file format the CLI writes and the admin site imports, and key rotation records
 * (a new key, signed by a key the room already trusts).
 */
import * as v from 'valibot';
import { ErrorCode, fail, ok, type Result } from './errors.ts';
import { canonicalBytes } from './jcs.ts';
import {
  importSigningKey,
  keyIdOf,
  signBytes,
  verifyBytes,
  type SigningKey,
  exportSecretKey,
} from './crypto.ts';
import { IsoTime, KeyId, PublicKeyText, RoomName, SignatureText } from './release.ts';
import { validator } from './validate.ts';

/** The on-disk key file (`patchcast keygen`): JSON, file mode 0600. */
export const KeyFileSchema = v.strictObject({
  format: v.literal('patchcast-key/1'),
  alg: v.literal('Ed25519'),
  keyId: KeyId,
  publicKey: PublicKeyText,
  /** The 32-byte secret seed, base64url. Anyone holding it can publish to the room. */
  secretKey: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/, 'invalid secret key')),
  createdAt: IsoTime,
  room: v.exactOptional(RoomName),
});

/** A parsed key file. */
export type KeyFile = v.InferOutput<typeof KeyFileSchema>;

/** Validates a key file's structure. */
export const parseKeyFile = validator(KeyFileSchema, ErrorCode.BAD_MESSAGE, 'key file');

/** Writes a signing key as a key file object (its private key must be extractable). */
export async function toKeyFile(key: SigningKey, room?: string, now = new Date()): Promise<KeyFile> {
  return {
    format: 'patchcast-key/1',
    alg: 'Ed25519',
    keyId: key.keyId,
    publicKey: key.publicKey,
    secretKey: await exportSecretKey(key),
    createdAt: now.toISOString(),
    ...(room === undefined ? {} : { room }),
  };
}

/** Imports a key file; fails if the key id or the public key don't match the secret. */
export async function fromKeyFile(file: KeyFile, extractable = true): Promise<SigningKey> {
  const key = await importSigningKey(file.publicKey, file.secretKey, extractable);
  if (key.keyId !== file.keyId) throw new TypeError('key file: keyId does not match its public key');
  return key;
}

/** A rotation record: "the room also trusts `newKey`", signed by a key the room trusts already. */
export const KeyRotationSchema = v.strictObject({
  format: v.literal(1),
  kind: v.literal('key-rotation'),
  room: RoomName,
  newKey: PublicKeyText,
  newKeyId: KeyId,
  createdAt: IsoTime,
  /** The id of the signing key. */
  keyId: KeyId,
});

/** A rotation record. */
export type KeyRotation = v.InferOutput<typeof KeyRotationSchema>;

/** A rotation record with its signature over `canonicalize(rotation)`. */
export const SignedRotationSchema = v.strictObject({ rotation: KeyRotationSchema, sig: SignatureText });

/** A signed rotation record. */
export type SignedRotation = v.InferOutput<typeof SignedRotationSchema>;

/** Validates a signed rotation record's structure. */
export const parseSignedRotation = validator(SignedRotationSchema, ErrorCode.BAD_MESSAGE, 'key rotation');

/** The keys a room trusts: key id → base64url public key. */
export type TrustedKeys = ReadonlyMap<string, string>;

/** Builds a trust map from public keys (base64url). */
export async function trustKeys(publicKeys: readonly string[]): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const pk of publicKeys) map.set(await keyIdOf(pk), pk);
  return map;
}

/** Creates a rotation record that makes `room` trust `newPublicKey`, signed by `signer`. */
export async function signRotation(
  room: string,
  newPublicKey: string,
  signer: SigningKey,
  now = new Date(),
): Promise<SignedRotation> {
  const rotation: KeyRotation = {
    format: 1,
    kind: 'key-rotation',
    room,
    newKey: newPublicKey,
    newKeyId: await keyIdOf(newPublicKey),
    createdAt: now.toISOString(),
    keyId: signer.keyId,
  };
  return { rotation, sig: await signBytes(signer, canonicalBytes(rotation)) };
}

/**
 * Checks one rotation record against the keys a room trusts; on success returns the trust map with
 * the new key added (the input is not changed).
 */
export async function acceptRotation(
  candidate: unknown,
  room: string,
  trusted: TrustedKeys,
): Promise<Result<Map<string, string>>> {
  const parsed = parseSignedRotation(candidate);
  if (!parsed.ok) return parsed;
  const { rotation, sig } = parsed.value;
  if (rotation.room !== room) return fail(ErrorCode.WRONG_ROOM, `rotation is for room "${rotation.room}"`);
  const signer = trusted.get(rotation.keyId);
  if (!signer) return fail(ErrorCode.UNKNOWN_KEY, `rotation signed by unknown key ${rotation.keyId}`);
  if ((await keyIdOf(rotation.newKey)) !== rotation.newKeyId) {
    return fail(ErrorCode.BAD_MESSAGE, 'rotation newKeyId does not match newKey');
  }
  if (!(await verifyBytes(signer, canonicalBytes(rotation), sig))) {
    return fail(ErrorCode.BAD_SIGNATURE, 'rotation signature does not verify');
  }
  const next = new Map(trusted);
  next.set(rotation.newKeyId, rotation.newKey);
  return ok(next);
}

/**
 * Extends a pinned trust map along a chain of rotation records, in order. Records that don't verify
 * against what is trusted so far are skipped (a relay may not add keys on its own).
 */
export async function extendTrust(
  pinned: TrustedKeys,
  rotations: readonly unknown[],
  room: string,
): Promise<TrustedKeys> {
  let trusted: TrustedKeys = pinned;
  for (const record of rotations) {
    const accepted = await acceptRotation(record, room, trusted);
    if (accepted.ok) trusted = accepted.value;
  }
  return trusted;
}
