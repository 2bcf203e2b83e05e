/**
 * The relay's checks of a blob against the slot that names it — its chunk list (every chunk hash)
 * and its content (a texture decodes, a config parses, a script is text) — run once, when the blob
 * arrives, and remembered: a publish whose blobs came up first (as the publisher sends big ones)
 * finds them checked and is accepted without reading, hashing or decoding a byte.
 */
import {
  verifyBlob,
  verifyDigests,
  type BlobDescriptor,
  type Result,
  type Slot,
} from '../../protocol/index.ts';
import { ArrivingPngCheck } from './arriving-png.ts';
import { checkContent, type DecodeBounds } from './content.ts';

/**
 * Hashes of a blob's bytes taken as they arrived (the relay's upload route hashes the body while it
 * streams in): the whole blob's SHA-256 and, cut at `chunkSize`, each chunk's. Given to
 * {@link BlobChecks.check} they stand in for hashing the bytes again. The shape of a descriptor: a
 * descriptor of the bytes that came, to compare with the one the slot declares.
 */
export type BlobDigests = BlobDescriptor;

/** Checks remembered per blob (plain sets: a key per blob and chunking, a few KiB each). */
export class BlobChecks {
  /** `sha256:chunkSize:chunk hashes` of chunkings the blob's bytes were verified against. */
  private readonly chunkings = new Set<string>();
  /** `sha256:kind:mime or slot name` of content checks passed. */
  private readonly content = new Set<string>();

  constructor(private readonly bounds: DecodeBounds) {}

  private static chunkingKey(slot: Slot): string {
    return `${slot.sha256}:${slot.size}:${slot.chunkSize}:${slot.chunks.join(',')}`;
  }

  private static contentKey(name: string, slot: Slot): string {
    return `${slot.sha256}:${slot.kind}:${slot.kind === 'texture' ? slot.mime : name}`;
  }

  /** True when the blob passed both checks for this slot before: its bytes need not be read again. */
  passed(name: string, slot: Slot): boolean {
    return (
      this.chunkings.has(BlobChecks.chunkingKey(slot)) && this.content.has(BlobChecks.contentKey(name, slot))
    );
  }

  /**
   * The content check to run while the bytes of a blob slot `name` waits for arrive (`bytes`: the
   * blob's buffer, filled from its start), when there is one: a PNG texture not checked before.
   */
  arriving(name: string, slot: Slot, bytes: Uint8Array): ArrivingPngCheck | null {
    if (slot.kind !== 'texture' || slot.mime !== 'image/png') return null;
    if (this.content.has(BlobChecks.contentKey(name, slot))) return null;
    return new ArrivingPngCheck(bytes, this.bounds);
  }

  /**
   * Checks a blob's bytes against slot `name` (chunk list first, then content) and remembers a pass.
   * `png`: the check {@link arriving} started while the bytes came, finished here in place of
   * checking the bytes again (dropped if the slot is no PNG texture after all).
   */
  async check(
    name: string,
    slot: Slot,
    bytes: Uint8Array,
    digests?: BlobDigests,
    png?: ArrivingPngCheck | null,
  ): Promise<Result<null>> {
    const arrived = slot.kind === 'texture' && slot.mime === 'image/png' ? (png ?? null) : null;
    try {
      return await this.checkSlot(name, slot, bytes, digests, arrived);
    } finally {
      // Not needed after all (a refusal before it, or its content passed meanwhile): it stops.
      png?.abort();
    }
  }

  private async checkSlot(
    name: string,
    slot: Slot,
    bytes: Uint8Array,
    digests: BlobDigests | undefined,
    png: ArrivingPngCheck | null,
  ): Promise<Result<null>> {
    const chunking = BlobChecks.chunkingKey(slot);
    if (!this.chunkings.has(chunking)) {
      if (digests && digests.chunkSize === slot.chunkSize && digests.size === bytes.length) {
        const wrong = verifyDigests(slot, digests);
        if (!wrong.ok) return { ...wrong, message: `slot ${name}: ${wrong.message}` };
      } else {
        const whole = await verifyBlob(slot, bytes);
        if (!whole.ok) return { ...whole, message: `slot ${name}: ${whole.message}` };
      }
      this.chunkings.add(chunking);
    }
    const content = BlobChecks.contentKey(name, slot);
    if (!this.content.has(content)) {
      const checked = png ? await png.finish() : await checkContent(name, slot, bytes, this.bounds);
      if (!checked.ok) return { ...checked, message: `slot ${name}: ${checked.message}` };
      this.content.add(content);
    }
    return { ok: true, value: null };
  }
}
