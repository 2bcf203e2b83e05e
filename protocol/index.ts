/**
 * Patchcast's protocol: the one definition of the wire, shared by the browser and Node.
 * Import from here, not from the files, unless a bundle must stay small.
 */
export * from './errors.ts';
export * from './bytes.ts';
export * from './jcs.ts';
export * from './crypto.ts';
export * from './limits.ts';
export * from './validate.ts';
export * from './release.ts';
export * from './keys.ts';
export * from './blobs.ts';
export * from './accept.ts';
export * from './frame.ts';
export * from './messages.ts';
export * from './seed.ts';
export * from './config.ts';
export * from './contracts.ts';
export * from './assemble.ts';
export * from './http.ts';
export * from './bundle.ts';
export * from './rollout.ts';
export * from './backoff.ts';
export * from './adoption.ts';
export * from './plan.ts';
