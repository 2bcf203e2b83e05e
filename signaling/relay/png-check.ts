/**
 * The relay's PNG check without a decoder: everything a decoder would refuse in a PNG is in its
 * structure, so the relay checks the structure and never builds a pixel. The signature; every
 * chunk's length and CRC; IHDR first with a legal bit depth and colour type; PLTE where the colour
 * type needs one; the IDAT run; IEND last with nothing after it; and then the image data itself,
 * inflated by zlib (native, on libuv's thread pool) in pieces that are counted and dropped: the
 * stream must be a whole zlib stream (its Adler-32 checked), end exactly at the end of the IDAT
 * data, and inflate to exactly the bytes the header's size implies, every scanline opening with a
 * filter type of 0–4. A PNG that passes has nothing left for a decoder to refuse as damaged in its
 * image (ancillary chunks are checked for their CRC and their place around PLTE only, as decoders
 * skip them; what a decoder may still do is clamp a palette index past the palette: a colour, not
 * an error). At most {@link PNG_MAX_CHUNKS} chunks; the inflate stops at the relay's deadline.
 *
 * Cost: a CRC pass and an inflate of the image data, with at most {@link PNG_INFLATE_PIECE_BYTES} of
 * inflated data alive at once. CPU per check against sharp's decode and pixel statistics, measured
 * side by side (load 17): a 64 KiB noise PNG ~1 ms against 14–17 ms, a 4 MB one 24–41 ms against
 * 89–142 ms, a flat 2048² RGBA one (88 KB, 16 MB of pixels) 52–65 ms against 385–630 ms.
 */
import { createInflate, crc32 } from 'node:zlib';
import { ErrorCode, fail, ok, type Result } from '../../protocol/index.ts';

/**
 * Largest piece of inflated image data the check holds at once (zlib's output chunk). Each piece is
 * a trip from libuv's thread pool to the event loop and back: with 64 KiB pieces a 4 MB texture took
 * ~72 trips, and on a loaded machine (three software-rendering players beside the relay) its check
 * took a median 88 ms against 51–63 ms with 1 MiB pieces (docs/performance.md, twelfth round).
 */
export const PNG_INFLATE_PIECE_BYTES = 1024 * 1024;

/**
 * Most chunks a PNG may have. Walking a chunk is cheap but synchronous (a CRC, a view): a hostile
 * file of a million empty chunks would hold the relay's event loop for about a second. Encoders
 * write 8–64 KiB IDAT chunks, so a texture at the relay's size limits needs a few thousand at most.
 */
export const PNG_MAX_CHUNKS = 16_384;

/** Image data handed to zlib per write (IDAT chunks are grouped up to this). */
const PNG_INFLATE_WRITE_BYTES = 1024 * 1024;

/** What the check did: counted, so a test can tell a structural check from a full decode. */
export interface PngCheckCounts {
  /** PNG checks run. */
  checks: number;
  /** Inflated bytes counted (and dropped) over all checks. */
  inflatedBytes: number;
  /** The largest piece of inflated data held at once, over all checks. */
  largestPiece: number;
}

/** A fresh set of counters. */
export function pngCheckCounts(): PngCheckCounts {
  return { checks: 0, inflatedBytes: 0, largestPiece: 0 };
}

/** The IHDR fields the check uses. */
export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colourType: number;
  readonly interlaced: boolean;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Bit depths allowed per colour type (PNG spec, table 11.1), and channels per pixel. */
const DEPTHS: Record<number, { readonly depths: readonly number[]; readonly channels: number }> = {
  0: { depths: [1, 2, 4, 8, 16], channels: 1 }, // greyscale
  2: { depths: [8, 16], channels: 3 }, // truecolour
  3: { depths: [1, 2, 4, 8], channels: 1 }, // indexed
  4: { depths: [8, 16], channels: 2 }, // greyscale + alpha
  6: { depths: [8, 16], channels: 4 }, // truecolour + alpha
};
/** Adam7 passes: x start, y start, x step, y step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;
const MAX_CHUNK_LENGTH = 0x7fffffff;

const u32 = (b: Uint8Array, i: number) =>
  ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
const bad = (message: string): Result<never> => fail(ErrorCode.BAD_IMAGE, `PNG: ${message}`);

/** The scanlines of the image data: `rows` rows of `rowBytes` bytes each (filter byte included). */
interface Segment {
  readonly rows: number;
  readonly rowBytes: number;
}

/** The image data's scanline layout for a header (one segment, or one per non-empty Adam7 pass). */
export function scanlines(h: PngHeader): Segment[] {
  const bitsPerPixel = DEPTHS[h.colourType]!.channels * h.bitDepth;
  const rowBytes = (width: number) => 1 + Math.ceil((width * bitsPerPixel) / 8);
  if (!h.interlaced) return [{ rows: h.height, rowBytes: rowBytes(h.width) }];
  const passes: Segment[] = [];
  for (const [x0, y0, dx, dy] of ADAM7) {
    const w = h.width > x0 ? Math.ceil((h.width - x0) / dx) : 0;
    const rows = h.height > y0 ? Math.ceil((h.height - y0) / dy) : 0;
    if (w > 0 && rows > 0) passes.push({ rows, rowBytes: rowBytes(w) });
  }
  return passes;
}

function parseHeader(data: Uint8Array): Result<PngHeader> {
  if (data.length !== 13) return bad(`IHDR is ${data.length} bytes, not 13`);
  const width = u32(data, 0);
  const height = u32(data, 4);
  const [bitDepth, colourType, compression, filter, interlace] = data.subarray(8);
  if (width === 0 || height === 0 || width > MAX_CHUNK_LENGTH || height > MAX_CHUNK_LENGTH) {
    return bad(`IHDR declares ${width}×${height}`);
  }
  const allowed = DEPTHS[colourType!];
  if (!allowed || !allowed.depths.includes(bitDepth!)) {
    return bad(`bit depth ${bitDepth} with colour type ${colourType} is not a PNG`);
  }
  if (compression !== 0 || filter !== 0 || (interlace !== 0 && interlace !== 1)) {
    return bad(`unknown compression (${compression}), filter (${filter}) or interlace (${interlace}) method`);
  }
  return ok({ width, height, bitDepth: bitDepth!, colourType: colourType!, interlaced: interlace === 1 });
}

/** A PNG's chunks walked: its header and its image data (views into the bytes, nothing copied). */
export interface PngStructure {
  readonly header: PngHeader;
  readonly idat: readonly Uint8Array[];
}

/**
 * The chunk walk, resumable: {@link walk} takes the bytes that have arrived so far (one buffer of the
 * whole file's size, filled from its start) and walks every chunk that is whole in them, handing each
 * IDAT's data to `onData` — so a file can be checked while it is still arriving, and a whole one is
 * walked in one call. The first error found (in byte order) is the walk's answer from then on.
 */
export class PngWalker {
  private at = 0;
  private header: PngHeader | null = null;
  private palette = false;
  private idatChunks = 0;
  private idatEnded = false;
  /** An ancillary chunk that must follow PLTE (tRNS, bKGD, hIST) was seen: no PLTE may come now. */
  private paletteClosed = false;
  private chunks = 0;
  private answer: Result<PngHeader> | null = null;

  constructor(private readonly onData: (data: Uint8Array) => void) {}

  /** The header, once IHDR has been walked (null before). */
  get pngHeader(): PngHeader | null {
    return this.header;
  }

  /**
   * Walks the chunks whole within `bytes[0, arrived)`; `bytes.length` is the file's size. Null while
   * more bytes are needed; the header once IEND ended the file; an error as soon as one is found. With
   * `arrived === bytes.length` the answer is final (a missing IEND is an error then).
   */
  walk(bytes: Uint8Array, arrived: number): Result<PngHeader> | null {
    this.answer ??= this.step(bytes, arrived);
    return this.answer;
  }

  private step(bytes: Uint8Array, arrived: number): Result<PngHeader> | null {
    const final = arrived >= bytes.length;
    if (this.at === 0) {
      if (arrived < 8 && !final) return null;
      if (bytes.length < 8 || SIGNATURE.some((x, i) => bytes[i] !== x)) return bad('no PNG signature');
      this.at = 8;
    }
    while (this.at < bytes.length) {
      const at = this.at;
      if (at + 12 > arrived && !final) return null;
      if (++this.chunks > PNG_MAX_CHUNKS) return bad(`more than ${PNG_MAX_CHUNKS} chunks`);
      if (at + 12 > bytes.length) return bad(`truncated chunk at byte ${at}`);
      const length = u32(bytes, at);
      const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
      if (!/^[A-Za-z]{4}$/.test(type)) return bad(`chunk type at byte ${at} is not four letters`);
      if (length > MAX_CHUNK_LENGTH || at + 12 + length > bytes.length) {
        return bad(`chunk ${type} at byte ${at} runs past the end (truncated?)`);
      }
      if (at + 12 + length > arrived) {
        // Not whole yet: counted again when it is.
        this.chunks -= 1;
        return null;
      }
      const body = bytes.subarray(at + 8, at + 8 + length);
      // Bit 5 of the first letter clear: critical, and a decoder must refuse one it does not know.
      const critical = (bytes[at + 4]! & 0x20) === 0;
      if (crc32(body, crc32(bytes.subarray(at + 4, at + 8))) !== u32(bytes, at + 8 + length)) {
        return bad(`chunk ${type} at byte ${at} fails its CRC`);
      }
      this.at += 12 + length;
      const walked = this.chunk(type, body, critical, bytes.length);
      if (walked) return walked;
    }
    return bad('no IEND (truncated?)');
  }

  /** One whole chunk, its CRC checked: null to walk on, else the walk's answer. */
  private chunk(type: string, body: Uint8Array, critical: boolean, size: number): Result<PngHeader> | null {
    const header = this.header;
    if (header === null) {
      if (type !== 'IHDR') return bad(`the first chunk is ${type}, not IHDR`);
      const parsed = parseHeader(body);
      if (!parsed.ok) return parsed;
      this.header = parsed.value;
      return null;
    }
    if (type !== 'IDAT' && this.idatChunks > 0) this.idatEnded = true;
    switch (type) {
      case 'IHDR':
        return bad('a second IHDR');
      case 'PLTE': {
        const entries = body.length / 3;
        if (this.palette || this.idatChunks > 0) return bad('PLTE repeated or after the image data');
        if (this.paletteClosed) return bad('PLTE after a chunk that must follow it (tRNS, bKGD or hIST)');
        if (header.colourType === 0 || header.colourType === 4) return bad('PLTE in a greyscale image');
        const most = header.colourType === 3 ? 2 ** header.bitDepth : 256;
        if (!Number.isInteger(entries) || entries < 1 || entries > most) {
          return bad(`PLTE of ${body.length} bytes`);
        }
        this.palette = true;
        return null;
      }
      case 'IDAT':
        if (this.idatEnded) return bad('IDAT chunks are not consecutive');
        if (header.colourType === 3 && !this.palette) return bad('an indexed image without PLTE');
        this.idatChunks += 1;
        this.onData(body);
        return null;
      case 'IEND':
        if (body.length !== 0) return bad('IEND with data');
        if (this.at !== size) return bad(`${size - this.at} bytes after IEND`);
        if (this.idatChunks === 0) return bad('no image data (IDAT)');
        return ok(header);
      case 'tRNS':
      case 'bKGD':
      case 'hIST':
        this.paletteClosed = true;
        return null;
      default:
        return critical ? bad(`unknown critical chunk ${type}`) : null;
    }
  }
}

/** Walks the chunks: signature, lengths, CRCs, order, critical chunks (no inflate). */
export function pngStructure(bytes: Uint8Array): Result<PngStructure> {
  const idat: Uint8Array[] = [];
  const walked = new PngWalker((data) => idat.push(data)).walk(bytes, bytes.length)!;
  return walked.ok ? ok({ header: walked.value, idat }) : walked;
}

/**
 * The image data's inflate, fed in order as it comes: piece by piece, checked against the header's
 * layout — a whole zlib stream, ending where the data ends, of exactly the scanlines' bytes, each with
 * a filter type 0–4. Zlib runs on libuv's thread pool; {@link write} resolves once it took a group.
 */
export class CountedInflate {
  private readonly inflate = createInflate({ chunkSize: PNG_INFLATE_PIECE_BYTES });
  private readonly segments: Segment[];
  private readonly expected: number;
  /** Image data written so far. */
  private given = 0;
  private total = 0;
  // Where the next scanline's filter byte is: segment, row within it, offset in the inflated stream.
  private segment = 0;
  private row = 0;
  private next = 0;
  /** Set once the check failed (or was stopped): its answer. */
  private failure: Result<never> | null = null;
  /** Zlib reached the end of its stream (it may, before the last data was written). */
  private streamEnded = false;
  private readonly waiters = new Set<() => void>();
  private readonly stop = () => this.fail(bad('stopped at the deadline'));

  constructor(
    header: PngHeader,
    private readonly counts: PngCheckCounts,
  ) {
    this.segments = scanlines(header);
    this.expected = this.segments.reduce((sum, s) => sum + s.rows * s.rowBytes, 0);
    this.inflate.on('data', (piece: Buffer) => this.take(piece));
    this.inflate.on('error', (error) => this.fail(bad(`image data does not inflate: ${error.message}`)));
    this.inflate.on('end', () => {
      this.streamEnded = true;
      if (this.total !== this.expected) {
        this.fail(bad(`image data inflates to ${this.total} bytes, not ${this.expected}`));
      }
      this.wake();
    });
  }

  /**
   * Stops the check when `signal` aborts (the relay's deadline: nobody waits for the answer then, so
   * zlib stops and its thread is free again); returns the function that stops watching it.
   */
  stopAt(signal: AbortSignal | undefined): () => void {
    if (!signal) return () => {};
    if (signal.aborted) this.stop();
    else signal.addEventListener('abort', this.stop, { once: true });
    return () => signal.removeEventListener('abort', this.stop);
  }

  /** Hands zlib a group of image data; resolves once zlib took it (or the check failed). */
  write(data: Uint8Array): Promise<void> {
    if (this.failure) return Promise.resolve();
    this.given += data.length;
    return new Promise((resolve) => {
      this.waiters.add(resolve);
      this.inflate.write(data, () => {
        this.waiters.delete(resolve);
        resolve();
      });
    });
  }

  /** The last data is written: the check's answer once zlib is done. */
  async end(last?: Uint8Array): Promise<Result<null>> {
    if (last && last.length > 0) void this.write(last);
    if (!this.failure) this.inflate.end();
    while (!this.failure && !this.streamEnded) {
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
    if (this.failure) return this.failure;
    if (this.inflate.bytesWritten !== this.given) {
      return bad(`${this.given - this.inflate.bytesWritten} bytes of image data after its zlib stream`);
    }
    return ok(null);
  }

  /** Stops zlib (a refused upload): nothing more is inflated. */
  abort(): void {
    this.fail(bad('stopped'));
  }

  private take(piece: Buffer): void {
    if (this.failure) return;
    this.counts.inflatedBytes += piece.length;
    this.counts.largestPiece = Math.max(this.counts.largestPiece, piece.length);
    const start = this.total;
    this.total += piece.length;
    if (this.total > this.expected) {
      return this.fail(bad(`image data inflates past the ${this.expected} bytes its size implies`));
    }
    while (this.next < this.total) {
      const filter = piece[this.next - start]!;
      if (filter > 4) return this.fail(bad(`scanline with filter type ${filter}`));
      const s = this.segments[this.segment]!;
      this.next += s.rowBytes;
      if (++this.row === s.rows) {
        this.segment += 1;
        this.row = 0;
      }
    }
  }

  private fail(answer: Result<never>): void {
    if (this.failure) return;
    this.failure = answer;
    this.inflate.destroy();
    this.wake();
  }

  private wake(): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const resolve of waiting) resolve();
  }
}

/**
 * Image data gathered into groups for zlib: encoders cut it into 8 KiB chunks, and zlib hands out
 * what it has after each write, so the chunks go in groups of {@link PNG_INFLATE_WRITE_BYTES}
 * (copied; one big copy costs more in page faults).
 */
export class IdatGroups {
  private group: Uint8Array[] = [];
  private grouped = 0;

  /** Adds a chunk's data; a full group to write, or null. */
  add(data: Uint8Array): Uint8Array | null {
    this.group.push(data);
    this.grouped += data.length;
    return this.grouped >= PNG_INFLATE_WRITE_BYTES ? this.take() : null;
  }

  /** What is left (the last group, maybe empty). */
  take(): Uint8Array {
    const group = this.group;
    this.group = [];
    this.grouped = 0;
    return group.length === 1 ? group[0]! : Buffer.concat(group);
  }
}

/** Inflates a walked PNG's image data and checks it (see {@link CountedInflate}). */
export function inflateCounted(
  structure: PngStructure,
  counts: PngCheckCounts = pngCheckCounts(),
  signal?: AbortSignal,
): Promise<Result<null>> {
  const inflate = new CountedInflate(structure.header, counts);
  const unwatch = inflate.stopAt(signal);
  const groups = new IdatGroups();
  for (const data of structure.idat) {
    const group = groups.add(data);
    if (group) void inflate.write(group);
  }
  return inflate.end(groups.take()).finally(unwatch);
}

/** The whole PNG check: structure, then the counted inflate. */
export async function checkPng(
  bytes: Uint8Array,
  counts?: PngCheckCounts,
  signal?: AbortSignal,
): Promise<Result<PngHeader>> {
  if (counts) counts.checks += 1;
  const structure = pngStructure(bytes);
  if (!structure.ok) return structure;
  const data = await inflateCounted(structure.value, counts, signal);
  return data.ok ? ok(structure.value.header) : data;
}
