/**
 * The release: one signed snapshot of every slot of a room. What gets signed is the RFC 8785 canonical
 * JSON of `release`; the signature travels beside it in a {@link SignedRelease}.
 */
import * as v from 'valibot';
import { ErrorCode } from './errors.ts';
import { canonicalBytes, isWellFormedText } from './jcs.ts';
import { signBytes, verifyBytes, type SigningKey } from './crypto.ts';
import {
  MAX_CHUNK_SIZE,
  MAX_NOTES_LENGTH,
  MAX_SLOTS,
  MAX_TEXTURE_BYTES,
  MAX_VERSION_LENGTH,
  MIN_CHUNK_SIZE,
} from './limits.ts';
import { validator } from './validate.ts';

/** A room name: lower-case letters, digits, `-` and `_`, up to 64 characters. */
export const RoomName = v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'invalid room name'));
/** A slot name: like a room name, up to 32 characters. */
export const SlotName = v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_-]{0,31}$/, 'invalid slot name'));
/** A SHA-256 digest as 64 lower-case hex digits. */
export const Sha256Hex = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'invalid sha256'));
/** A key id (see `keyIdOf`): 16 lower-case hex digits. */
export const KeyId = v.pipe(v.string(), v.regex(/^[0-9a-f]{16}$/, 'invalid key id'));
/** A raw Ed25519 public key in unpadded base64url (43 characters). */
export const PublicKeyText = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/, 'invalid public key'),
);
/** A raw Ed25519 signature in unpadded base64url (86 characters). */
export const SignatureText = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{85}[AQgw]$/, 'invalid signature'));
/** A human version label such as `1.3.0`: printable, no control characters. */
export const VersionLabel = v.pipe(
  v.string(),
  v.minLength(1, 'empty version'),
  v.maxLength(MAX_VERSION_LENGTH, 'version too long'),
  v.regex(/^[^\p{Cc}]+$/u, 'version has control characters'),
  v.check(isWellFormedText, 'version has an unpaired surrogate'),
);
/** An ISO-8601 UTC timestamp as `Date.prototype.toISOString` writes it. */
export const IsoTime = v.pipe(
  v.string(),
  v.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/, 'invalid timestamp'),
  v.check((s) => Number.isFinite(Date.parse(s)), 'invalid timestamp'),
);
/** A non-negative safe integer. */
export const Count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

/** The kinds of slot: a logic script, an image texture, a small JSON config. */
export const SlotKind = { script: 'script', texture: 'texture', config: 'config' } as const;
/** One of {@link SlotKind}. */
export type SlotKind = (typeof SlotKind)[keyof typeof SlotKind];

/** Image types a texture slot may carry. */
export const TextureMime = ['image/png', 'image/jpeg', 'image/webp'] as const;
/** One of {@link TextureMime}. */
export type TextureMime = (typeof TextureMime)[number];

/** Languages a script slot may be written in: `js` for players, `python` for seed-protocol clients. */
export const ScriptLang = ['js', 'python'] as const;
/** One of {@link ScriptLang}. */
export type ScriptLang = (typeof ScriptLang)[number];

const slotCommon = {
  sha256: Sha256Hex,
  size: v.pipe(
    v.number(),
    v.safeInteger(),
    v.minValue(1, 'empty blob'),
    v.maxValue(MAX_TEXTURE_BYTES, 'blob too large'),
  ),
  version: VersionLabel,
  chunkSize: v.pipe(v.number(), v.safeInteger(), v.minValue(MIN_CHUNK_SIZE), v.maxValue(MAX_CHUNK_SIZE)),
  /** SHA-256 of each chunk, in order, so a receiver can refuse a bad chunk before it has the blob. */
  chunks: v.pipe(
    v.array(Sha256Hex),
    v.minLength(1),
    v.maxLength(Math.ceil(MAX_TEXTURE_BYTES / MIN_CHUNK_SIZE)),
  ),
  /** Staged rollout: the share of players (0–100) that apply this slot's new content. */
  rollout: v.exactOptional(
    v.strictObject({ percent: v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(100)) }),
  ),
};

/** A logic script slot. */
export const ScriptSlotSchema = v.strictObject({
  kind: v.literal(SlotKind.script),
  lang: v.exactOptional(v.picklist(ScriptLang)),
  ...slotCommon,
});
/** A texture slot. */
export const TextureSlotSchema = v.strictObject({
  kind: v.literal(SlotKind.texture),
  mime: v.picklist(TextureMime),
  ...slotCommon,
});
/** A config slot (UTF-8 JSON object). */
export const ConfigSlotSchema = v.strictObject({ kind: v.literal(SlotKind.config), ...slotCommon });
/** Any slot, told apart by `kind`. */
export const SlotSchema = v.variant('kind', [ScriptSlotSchema, TextureSlotSchema, ConfigSlotSchema]);

/** A slot of a release: names one content-addressed blob. */
export type Slot = v.InferOutput<typeof SlotSchema>;
/** A script slot. */
export type ScriptSlot = v.InferOutput<typeof ScriptSlotSchema>;
/** A texture slot. */
export type TextureSlot = v.InferOutput<typeof TextureSlotSchema>;
/** A config slot. */
export type ConfigSlot = v.InferOutput<typeof ConfigSlotSchema>;

/** The current release format. */
export const RELEASE_FORMAT = 1;

/** The release schema (structure only; {@link acceptRelease} checks meaning). */
export const ReleaseSchema = v.strictObject({
  format: v.literal(RELEASE_FORMAT),
  room: RoomName,
  seq: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  version: VersionLabel,
  notes: v.exactOptional(
    v.pipe(
      v.string(),
      v.maxLength(MAX_NOTES_LENGTH),
      v.check(isWellFormedText, 'notes have an unpaired surrogate'),
    ),
  ),
  createdAt: IsoTime,
  expiresAt: IsoTime,
  keyId: KeyId,
  slots: v.pipe(
    v.record(SlotName, SlotSchema),
    v.check((slots) => Object.keys(slots).length <= MAX_SLOTS, `more than ${MAX_SLOTS} slots`),
  ),
});

/** A release: every slot of a room at one `seq`. */
export type Release = v.InferOutput<typeof ReleaseSchema>;

/** A release and its Ed25519 signature over `canonicalize(release)`. */
export const SignedReleaseSchema = v.strictObject({ release: ReleaseSchema, sig: SignatureText });

/** A release with its signature. */
export type SignedRelease = v.InferOutput<typeof SignedReleaseSchema>;

/** Validates the structure of a signed release (not its signature: see `acceptRelease`). */
export const parseSignedRelease = validator(SignedReleaseSchema, ErrorCode.BAD_RELEASE, 'release');

/** Signs a release with a room key. The key id in the release must be the key's. */
export async function signRelease(release: Release, key: SigningKey): Promise<SignedRelease> {
  if (release.keyId !== key.keyId) throw new TypeError('release.keyId is not the signing key id');
  return { release, sig: await signBytes(key, canonicalBytes(release)) };
}

/** Verifies a signed release's signature under one public key (base64url). */
export async function verifyReleaseSignature(signed: SignedRelease, publicKey: string): Promise<boolean> {
  return verifyBytes(publicKey, canonicalBytes(signed.release), signed.sig);
}

/** The names of slots whose content differs between two releases (added, removed or changed). */
export function changedSlots(previous: Release | null, next: Release): string[] {
  const names = new Set([...Object.keys(next.slots), ...Object.keys(previous?.slots ?? {})]);
  return [...names].filter((name) => previous?.slots[name]?.sha256 !== next.slots[name]?.sha256).sort();
}
