/**
 * Room keys: the key file format the CLI writes and the admin site imports; the versioned key sets a
 * room moves through (rotation records) are in `key-sets.ts`, re-exported here.
 */
import * as v from 'valibot';
import { ErrorCode } from './errors.ts';
import { importSigningKey, type SigningKey, exportSecretKey } from './crypto.ts';
import { IsoTime, KeyId, PublicKeyText, RoomName } from './release.ts';
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

export * from './key-sets.ts';
