/** Decodes standard base64; throws on text that isn't. */
export declare function decodeBase64(text: string): Uint8Array;
