/**
 * Encrypted key backups, and reading any key file a person may hand the admin site.
 *
 * A backup is the CLI's key file (`patchcast-key/1` JSON) encrypted with a passphrase:
 *
 * ```json
 * {
 *   "format": "patchcast-key-backup/1",
 *   "keyId": "3f9a…", "publicKey": "…", "room": "demo", "createdAt": "2026-…Z",
 *   "kdf": { "name": "PBKDF2", "hash": "SHA-256", "iterations": 600000, "salt": "<16 bytes, base64url>" },
 *   "cipher": { "name": "AES-GCM", "iv": "<12 bytes, base64url>" },
 *   "ciphertext": "<AES-256-GCM of the key file's UTF-8 JSON, tag appended, base64url>"
 * }
 * ```
 *
 * Everything but `ciphertext` is in the clear (so a person can see which key a file holds) and is
 * bound to the ciphertext as AES-GCM additional data (its RFC 8785 canonical JSON): editing any of it
 * makes decryption fail just like a wrong passphrase does.
 */
import * as v from 'valibot';
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from '../../protocol/bytes.ts';
import { canonicalBytes } from '../../protocol/jcs.ts';
import { parseKeyFile, type KeyFile } from '../../protocol/keys.ts';
import { IsoTime, KeyId, PublicKeyText, RoomName } from '../../protocol/release.ts';

/** The `format` of a backup file. */
export const BACKUP_FORMAT = 'patchcast-key-backup/1';
/** PBKDF2 iterations written into new backups (OWASP's 2023 figure for PBKDF2-HMAC-SHA-256). */
export const BACKUP_ITERATIONS = 600_000;
/** Fewest iterations a backup may declare: refuse files that were made weak on purpose. */
export const MIN_BACKUP_ITERATIONS = 600_000;
/** Most iterations a backup may declare: a crafted file must not freeze the tab. */
export const MAX_BACKUP_ITERATIONS = 10_000_000;
/** Shortest passphrase accepted for a new backup. */
export const MIN_PASSPHRASE_LENGTH = 10;

const b64url = (bytes: number) =>
  v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9_-]+$/, 'not base64url'),
    v.check((s) => decodedLength(s) === bytes, `must be ${bytes} bytes`),
  );

function decodedLength(text: string): number {
  try {
    return fromBase64Url(text).length;
  } catch {
    return -1;
  }
}

/** The backup envelope. */
export const BackupSchema = v.strictObject({
  format: v.literal(BACKUP_FORMAT),
  keyId: KeyId,
  publicKey: PublicKeyText,
  room: v.exactOptional(RoomName),
  createdAt: IsoTime,
  kdf: v.strictObject({
    name: v.literal('PBKDF2'),
    hash: v.literal('SHA-256'),
    iterations: v.pipe(
      v.number(),
      v.safeInteger(),
      v.minValue(MIN_BACKUP_ITERATIONS, 'too few PBKDF2 iterations'),
      v.maxValue(MAX_BACKUP_ITERATIONS, 'too many PBKDF2 iterations'),
    ),
    salt: b64url(16),
  }),
  cipher: v.strictObject({ name: v.literal('AES-GCM'), iv: b64url(12) }),
  ciphertext: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]+$/, 'not base64url'), v.maxLength(16_384)),
});

/** A parsed backup envelope. */
export type Backup = v.InferOutput<typeof BackupSchema>;

/** Why a key file or backup could not be read. */
export class KeyImportError extends Error {
  override readonly name = 'KeyImportError';
  readonly reason: 'NOT_JSON' | 'UNKNOWN_FORMAT' | 'BAD_FILE' | 'WRONG_PASSPHRASE';

  constructor(reason: KeyImportError['reason'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

type Ab = Uint8Array<ArrayBuffer>;
const ab = (bytes: Uint8Array): Ab => new Uint8Array(bytes);

async function deriveKey(passphrase: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey(
    'raw',
    ab(utf8(passphrase.normalize('NFC'))),
    'PBKDF2',
    false,
    ['deriveKey'],
  );
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: ab(salt), iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

function header(backup: Omit<Backup, 'ciphertext'>): Ab {
  const { format, keyId, publicKey, room, createdAt, kdf, cipher } = backup;
  return ab(canonicalBytes({ format, keyId, publicKey, room: room ?? null, createdAt, kdf, cipher }));
}

/** Encrypts a key file under a passphrase. */
export async function encryptKeyFile(
  file: KeyFile,
  passphrase: string,
  options: { iterations?: number; now?: Date } = {},
): Promise<Backup> {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new RangeError(`The passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters.`);
  }
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const iterations = options.iterations ?? BACKUP_ITERATIONS;
  const head: Omit<Backup, 'ciphertext'> = {
    format: BACKUP_FORMAT,
    keyId: file.keyId,
    publicKey: file.publicKey,
    ...(file.room === undefined ? {} : { room: file.room }),
    createdAt: (options.now ?? new Date()).toISOString(),
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations, salt: toBase64Url(salt) },
    cipher: { name: 'AES-GCM', iv: toBase64Url(iv) },
  };
  const key = await deriveKey(passphrase, salt, iterations);
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: header(head) },
    key,
    ab(utf8(JSON.stringify(file))),
  );
  return { ...head, ciphertext: toBase64Url(new Uint8Array(sealed)) };
}

/** Decrypts a backup; a wrong passphrase (or an edited file) is a `WRONG_PASSPHRASE` error. */
export async function decryptBackup(backup: Backup, passphrase: string): Promise<KeyFile> {
  const key = await deriveKey(passphrase, fromBase64Url(backup.kdf.salt), backup.kdf.iterations);
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: ab(fromBase64Url(backup.cipher.iv)), additionalData: header(backup) },
      key,
      ab(fromBase64Url(backup.ciphertext)),
    );
  } catch (cause) {
    throw new KeyImportError('WRONG_PASSPHRASE', 'Wrong passphrase (or the backup file was changed).', {
      cause,
    });
  }
  const file = parseKeyText(fromUtf8(new Uint8Array(plain)));
  if (file.kind !== 'key-file') throw new KeyImportError('BAD_FILE', 'The backup does not hold a key file.');
  if (file.file.keyId !== backup.keyId || file.file.publicKey !== backup.publicKey) {
    throw new KeyImportError('BAD_FILE', 'The backup holds a different key than its label says.');
  }
  return file.file;
}

/** What a file handed to the import form turned out to be. */
export type ParsedKeyText =
  | { readonly kind: 'key-file'; readonly file: KeyFile }
  | { readonly kind: 'backup'; readonly backup: Backup };

/** Reads a key file (`patchcast-key/1`, as the CLI writes) or an encrypted backup. */
export function parseKeyText(text: string): ParsedKeyText {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new KeyImportError('NOT_JSON', 'This file is not a Patchcast key file (it is not JSON).', {
      cause,
    });
  }
  const format = typeof json === 'object' && json !== null && 'format' in json ? json.format : undefined;
  if (format === BACKUP_FORMAT) {
    const parsed = v.safeParse(BackupSchema, json, { abortEarly: true });
    if (!parsed.success) {
      throw new KeyImportError('BAD_FILE', `This backup file is damaged: ${parsed.issues[0].message}.`);
    }
    return { kind: 'backup', backup: parsed.output };
  }
  if (format === 'patchcast-key/1') {
    const parsed = parseKeyFile(json);
    if (!parsed.ok) throw new KeyImportError('BAD_FILE', `This key file is damaged: ${parsed.message}.`);
    return { kind: 'key-file', file: parsed.value };
  }
  throw new KeyImportError(
    'UNKNOWN_FORMAT',
    'This file is neither a Patchcast key file nor a Patchcast key backup.',
  );
}
