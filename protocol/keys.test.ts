import { describe, expect, it } from 'vitest';
import { generateSigningKey } from './crypto.ts';
import { ErrorCode } from './errors.ts';
import { acceptRotation, extendTrust, signRotation, trustKeys } from './keys.ts';

describe('key rotation', () => {
  it('adds a new key when a trusted key signs the rotation', async () => {
    const oldKey = await generateSigningKey();
    const newKey = await generateSigningKey();
    const trusted = await trustKeys([oldKey.publicKey]);
    const record = await signRotation('demo', newKey.publicKey, oldKey);
    const result = await acceptRotation(JSON.parse(JSON.stringify(record)), 'demo', trusted);
    expect(result.ok && [...result.value.keys()].sort()).toEqual([oldKey.keyId, newKey.keyId].sort());
    expect(trusted.size).toBe(1);
  });

  it('refuses rotations signed by an untrusted key, for another room, or tampered', async () => {
    const oldKey = await generateSigningKey();
    const mallory = await generateSigningKey();
    const trusted = await trustKeys([oldKey.publicKey]);
    const byMallory = await signRotation('demo', mallory.publicKey, mallory);
    expect(await acceptRotation(byMallory, 'demo', trusted)).toMatchObject({
      ok: false,
      code: ErrorCode.UNKNOWN_KEY,
    });
    const other = await signRotation('other', mallory.publicKey, oldKey);
    expect(await acceptRotation(other, 'demo', trusted)).toMatchObject({
      ok: false,
      code: ErrorCode.WRONG_ROOM,
    });
    const good = await signRotation('demo', (await generateSigningKey()).publicKey, oldKey);
    const swapped = {
      ...good,
      rotation: { ...good.rotation, newKey: mallory.publicKey, newKeyId: mallory.keyId },
    };
    expect(await acceptRotation(swapped, 'demo', trusted)).toMatchObject({
      ok: false,
      code: ErrorCode.BAD_SIGNATURE,
    });
  });

  it('extends a pinned key along a chain and skips records that do not verify', async () => {
    const [a, b, c, m] = await Promise.all([1, 2, 3, 4].map(() => generateSigningKey()));
    const pinned = await trustKeys([a!.publicKey]);
    const chain = [
      await signRotation('demo', b!.publicKey, a!),
      await signRotation('demo', m!.publicKey, m!),
      await signRotation('demo', c!.publicKey, b!),
    ];
    const trusted = await extendTrust(pinned, chain, 'demo');
    expect([...trusted.keys()].sort()).toEqual([a!.keyId, b!.keyId, c!.keyId].sort());
  });
});
