/**
 * Facts about content a publisher reads from the bytes themselves, never from a file name or a
 * browser's guess.
 */
import type { TextureMime } from '../protocol/release.ts';

/** The image type told by a file's magic bytes, or null for anything else. */
export function sniffImageMime(bytes: Uint8Array): TextureMime | null {
  const at = (i: number) => bytes[i] ?? -1;
  const ascii = (from: number, text: string) => [...text].every((c, i) => at(from + i) === c.charCodeAt(0));
  if (at(0) === 0x89 && ascii(1, 'PNG\r\n\x1a\n')) return 'image/png';
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return 'image/jpeg';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'image/webp';
  return null;
}
