/**
 * A big texture's upload spread over frames. `texImage2D` of a whole 1280 × 1200 image held the
 * page's main thread 30–70 ms here (software WebGL), and the frame after it waited as long again for
 * the GPU process: one 100–130 ms frame each time a big background arrived. Uploaded in strips of
 * rows — WebGL 2 takes a sub-rectangle of an `ImageBitmap` (`UNPACK_SKIP_ROWS`) — each frame carries
 * a share of it, about {@link UPLOAD_BYTES_PER_FRAME}; the texture goes on the wall once it is whole.
 * Images that fit in one share (every small texture) are uploaded at once, as before.
 */
import type { Texture, WebGLRenderer } from 'three';

/** RGBA bytes uploaded per frame: about 8 ms of software WebGL here (1280 × 400 rows). */
export const UPLOAD_BYTES_PER_FRAME = 2 * 1024 * 1024;

/** Rows per strip for an image `width` wide: at least one. */
export function stripRows(width: number, bytesPerFrame = UPLOAD_BYTES_PER_FRAME): number {
  return Math.max(1, Math.floor(bytesPerFrame / (width * 4)));
}

/** A texture being uploaded strip by strip; see the file comment. */
export class StripUpload {
  private nextRow = 0;
  private readonly rows: number;

  /**
   * Allocates the texture's storage on the GPU (three.js does: its format, filters, wrapping), with
   * no pixels yet. `texture.image` is the bitmap; nothing of it is uploaded until {@link step}.
   */
  constructor(
    private readonly renderer: WebGLRenderer,
    readonly texture: Texture,
    private readonly bitmap: ImageBitmap,
    bytesPerFrame = UPLOAD_BYTES_PER_FRAME,
  ) {
    this.rows = stripRows(bitmap.width, bytesPerFrame);
    texture.source.dataReady = false; // storage only: three.js skips the pixels
    renderer.initTexture(texture);
    texture.source.dataReady = true;
  }

  /** True once every row is on the GPU. */
  get done(): boolean {
    return this.nextRow >= this.bitmap.height;
  }

  /** Uploads the next strip of rows; true when that was the last. */
  step(): boolean {
    if (this.done) return true;
    const gl = this.renderer.getContext();
    if (!(gl instanceof WebGL2RenderingContext)) throw new Error('strip uploads need WebGL 2');
    const properties = this.renderer.properties.get(this.texture);
    const handle: unknown =
      typeof properties === 'object' && properties !== null
        ? Reflect.get(properties, '__webglTexture')
        : null;
    if (!(handle instanceof WebGLTexture)) throw new Error('the texture has no storage');
    const y = this.nextRow;
    const height = Math.min(this.rows, this.bitmap.height - y);
    // Bound through three.js's state, so that its cache of bindings stays true.
    this.renderer.state.activeTexture(gl.TEXTURE0);
    this.renderer.state.bindTexture(gl.TEXTURE_2D, handle);
    gl.pixelStorei(gl.UNPACK_SKIP_ROWS, y);
    gl.texSubImage2D(
      gl.TEXTURE_2D,
      0,
      0,
      y,
      this.bitmap.width,
      height,
      gl.RGBA,
      gl.UNSIGNED_BYTE,
      this.bitmap,
    );
    gl.pixelStorei(gl.UNPACK_SKIP_ROWS, 0);
    this.nextRow = y + height;
    return this.done;
  }

  /** Uploads every row left. */
  finish(): void {
    while (!this.step()) {
      // next strip
    }
  }
}
