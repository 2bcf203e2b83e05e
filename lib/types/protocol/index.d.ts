/**
 * Patchcast's protocol: the one definition of the wire, shared by the browser and Node.
 * Import from here, not from the files, unless a bundle must stay small.
 */
export * from './errors.js';
export * from './bytes.js';
export * from './jcs.js';
export * from './crypto.js';
export * from './limits.js';
export * from './validate.js';
export * from './release.js';
export * from './keys.js';
export * from './blobs.js';
export * from './accept.js';
export * from './frame.js';
export * from './messages.js';
export * from './seed.js';
export * from './config.js';
export * from './contracts.js';
export * from './assemble.js';
export * from './http.js';
export * from './rollout.js';
export * from './backoff.js';
