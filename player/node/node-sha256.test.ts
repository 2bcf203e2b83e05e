// @vitest-environment node
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../protocol/crypto.ts';
import { nodeSha256Hex } from './node-player.ts';

describe('nodeSha256Hex (the Node player swarm’s chunk check)', () => {
  it('gives the same hex digest as the protocol’s WebCrypto SHA-256, for a chunk and for a view into a larger buffer', async () => {
    const whole = new Uint8Array(randomBytes(200_000));
    const chunk = whole.subarray(65_536, 131_072);
    expect(await nodeSha256Hex(chunk)).toBe(await sha256Hex(chunk));
    expect(await nodeSha256Hex(whole)).toBe(await sha256Hex(whole));
    expect(await nodeSha256Hex(new Uint8Array(0))).toBe(await sha256Hex(new Uint8Array(0)));
  });
});
