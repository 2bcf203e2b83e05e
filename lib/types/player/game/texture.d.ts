/** Largest edge uploaded to the GPU: the background is seen at screen size, and a bigger upload stalls a frame. */
export declare const MAX_UPLOAD_EDGE = 2048;
/** A decoded image, ready to upload, and its size as published. */
export interface DecodedTexture {
    readonly bitmap: ImageBitmap;
    readonly width: number;
    readonly height: number;
}
/** Decodes image bytes to a bitmap flipped for WebGL, at most {@link MAX_UPLOAD_EDGE} on its longer edge. */
export declare function decodeTexture(bytes: Uint8Array, mime: string): Promise<DecodedTexture>;
