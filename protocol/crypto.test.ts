import { describe, expect, it } from 'vitest';
import { fromHex, toBase64Url, toHex } from './bytes.ts';
import {
  exportSecretKey,
  generateSigningKey,
  importSigningKey,
  keyIdOf,
  sha256Hex,
  signBytes,
  verifyBytes,
} from './crypto.ts';
import { fromKeyFile, parseKeyFile, toKeyFile } from './keys.ts';

// RFC 8032 §7.1, TEST 1–3: secret seed, public key, message, signature (hex).
const RFC8032 = [
  {
    name: 'TEST 1',
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2',
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3',
    secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    public: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

describe('Ed25519 (RFC 8032 test vectors)', () => {
  for (const vector of RFC8032) {
    it(`${vector.name}: signs to the RFC's signature and verifies`, async () => {
      const publicKey = toBase64Url(fromHex(vector.public));
      const key = await importSigningKey(publicKey, toBase64Url(fromHex(vector.secret)));
      const message = fromHex(vector.message);
      const sig = await signBytes(key, message);
      expect(toHex(Uint8Array.from(Buffer.from(sig, 'base64url')))).toBe(vector.signature);
      expect(await verifyBytes(publicKey, message, sig)).toBe(true);
    });

    it(`${vector.name}: refuses a signature over another message`, async () => {
      const publicKey = toBase64Url(fromHex(vector.public));
      const sig = toBase64Url(fromHex(vector.signature));
      const other = new Uint8Array([...fromHex(vector.message), 0]);
      expect(await verifyBytes(publicKey, other, sig)).toBe(false);
    });
  }

  it('refuses a secret that does not belong to the public key', async () => {
    const [a, b] = RFC8032;
    await expect(
      importSigningKey(toBase64Url(fromHex(a!.public)), toBase64Url(fromHex(b!.secret))),
    ).rejects.toThrow(/does not belong/);
  });

  it('treats malformed keys and signatures as bad signatures, without throwing', async () => {
    const key = await generateSigningKey();
    const msg = new Uint8Array([1, 2, 3]);
    const sig = await signBytes(key, msg);
    expect(await verifyBytes(key.publicKey, msg, sig.slice(0, -2))).toBe(false);
    expect(await verifyBytes('not-a-key', msg, sig)).toBe(false);
    expect(await verifyBytes(key.publicKey.slice(1), msg, sig)).toBe(false);
    expect(await verifyBytes(key.publicKey, msg, '!!' + sig.slice(2))).toBe(false);
  });
});

describe('keys', () => {
  it('derives the key id from the public key: first 8 bytes of SHA-256, hex', async () => {
    const publicKey = toBase64Url(fromHex(RFC8032[0]!.public));
    const full = await sha256Hex(fromHex(RFC8032[0]!.public));
    expect(await keyIdOf(publicKey)).toBe(full.slice(0, 16));
  });

  it('round-trips a generated key through a key file', async () => {
    const key = await generateSigningKey();
    const file = await toKeyFile(key, 'demo');
    const parsed = parseKeyFile(JSON.parse(JSON.stringify(file)));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const again = await fromKeyFile(parsed.value);
    expect(again.keyId).toBe(key.keyId);
    expect(await exportSecretKey(again)).toBe(file.secretKey);
    const sig = await signBytes(again, new Uint8Array([9]));
    expect(await verifyBytes(key.publicKey, new Uint8Array([9]), sig)).toBe(true);
  });

  it('refuses a key file whose key id does not match', async () => {
    const file = await toKeyFile(await generateSigningKey());
    await expect(fromKeyFile({ ...file, keyId: '0000000000000000' })).rejects.toThrow(/keyId/);
  });
});

describe('SHA-256', () => {
  it('matches the FIPS 180-2 "abc" digest', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
