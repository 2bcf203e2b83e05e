/**
 * A PNG texture checked while its upload arrives, so that the check is done about when the last byte
 * lands instead of starting then: the declared size as soon as the first 24 bytes are in, each chunk
 * (length, CRC, order) as soon as it is whole, and its image data inflated in groups meanwhile. Each
 * group's inflate is a task of the relay's {@link DecodeQueue} with the queue's deadline, so a slow
 * upload holds no decode slot between its groups, and at most one check inflates at a time.
 *
 * The answer is the one {@link checkTextureDecodes} gives for the whole bytes: the declared size's
 * refusal first, then the first structural error in byte order, then the image data's — whatever the
 * pieces the body came in (`arriving-png.test.ts` holds the two side by side over every kind of junk).
 */
import { ok, type Result } from '../../protocol/index.ts';
import { checkDeclared, decodeFailure, type DecodeBounds } from './content.ts';
import { CountedInflate, IdatGroups, PngWalker, pngCheckCounts, type PngHeader } from './png-check.ts';

/** Bytes of a PNG that hold its declared size (signature, IHDR's length, type, width and height). */
const DECLARED_BYTES = 24;

export class ArrivingPngCheck {
  private readonly walker: PngWalker;
  private readonly groups = new IdatGroups();
  private inflate: CountedInflate | null = null;
  /** The declared size's refusal, or the walk's (or a queue task's) first error. */
  private declared: Result<unknown> | null = null;
  private walked: Result<PngHeader> | null = null;
  private taskFailure: Result<never> | null = null;
  /** The last group task queued: the next waits behind it, and the end behind all. */
  private tail: Promise<void> = Promise.resolve();
  private stopped = false;

  /** `bytes`: the whole blob's buffer (its size), filled from its start as the body arrives. */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly bounds: DecodeBounds,
  ) {
    if (bounds.counts) bounds.counts.checks += 1;
    this.walker = new PngWalker((data) => {
      const group = this.groups.add(data);
      if (group) this.queue(group);
    });
  }

  /** `bytes[0, n)` are in: checks what they allow. */
  advance(n: number): void {
    if (this.stopped) return;
    if (this.declared === null) {
      if (n < Math.min(DECLARED_BYTES, this.bytes.length)) return;
      this.declared = checkDeclared(this.bytes, 'image/png', this.bounds);
    }
    if (!this.declared.ok || this.walked) return;
    this.walked = this.walker.walk(this.bytes, n);
    if (this.walked && !this.walked.ok) this.abort();
  }

  /** Every byte is in: the check's answer (as the whole bytes' check would give it). */
  async finish(): Promise<Result<null>> {
    this.advance(this.bytes.length);
    if (!this.declared!.ok) return this.declared as Result<never>;
    const walked = this.walked!;
    if (!walked.ok) return walked;
    await this.tail;
    if (this.taskFailure) return this.taskFailure;
    const inflate = this.inflater(walked.value);
    const last = this.groups.take();
    try {
      return await this.bounds.decode.run((_, signal) => {
        const unwatch = inflate.stopAt(signal);
        return inflate.end(last).finally(unwatch);
      });
    } catch (cause) {
      inflate.abort();
      return decodeFailure('image/png', cause);
    }
  }

  /** The upload is refused (or the check has its answer): nothing more is inflated. */
  abort(): void {
    this.stopped = true;
    this.inflate?.abort();
  }

  /** The image data's inflate, made with the first group (or at the end, for a small PNG). */
  private inflater(header: PngHeader): CountedInflate {
    return (this.inflate ??= new CountedInflate(header, this.bounds.counts ?? pngCheckCounts()));
  }

  /** A group of image data, inflated in the decode queue behind the groups before it. */
  private queue(group: Uint8Array): void {
    const inflate = this.inflater(this.walker.pngHeader!);
    this.tail = this.tail.then(async () => {
      if (this.stopped || this.taskFailure) return;
      try {
        await this.bounds.decode.run(async (_, signal) => {
          const unwatch = inflate.stopAt(signal);
          await inflate.write(group);
          unwatch();
          return ok(null);
        });
      } catch (cause) {
        inflate.abort();
        this.taskFailure = decodeFailure('image/png', cause);
      }
    });
  }
}
