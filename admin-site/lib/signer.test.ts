import { describe, expect, it } from 'vitest';
import { buildRelease } from '../../publisher/build.ts';
import { checkBase, publisherTrust } from '../../publisher/trust.ts';
import { utf8 } from '../../protocol/bytes.ts';
import { generateSigningKey } from '../../protocol/crypto.ts';
import { keySetRecord } from '../../signaling/testing/key-sets.ts';
import { signerOf } from './signer.ts';

const slots = { logic: { kind: 'script' as const, bytes: utf8('x'), version: '1' } };

describe('signerOf and checkBase', () => {
  it('tells my key, a key I held before, a key my key rotated in, and a stranger apart', async () => {
    const [mine, old, added, stranger] = await Promise.all([1, 2, 3, 4].map(() => generateSigningKey()));
    const by = async (k: typeof mine) =>
      (await buildRelease({ room: 'r', key: k!, previous: null, slots })).signed;
    const rotations = [await keySetRecord('r', 2, [mine!, added!], [mine!, added!])];
    const trusted = await publisherTrust('r', mine!.publicKey, [old!.publicKey], rotations);
    expect(await signerOf(await by(mine), mine!.publicKey, trusted)).toEqual({ kind: 'mine' });
    expect(await signerOf(await by(old), mine!.publicKey, trusted)).toEqual({
      kind: 'room-key',
      keyId: old!.keyId,
    });
    expect(await signerOf(await by(added), mine!.publicKey, trusted)).toEqual({
      kind: 'room-key',
      keyId: added!.keyId,
    });
    expect(await signerOf(await by(stranger), mine!.publicKey, trusted)).toEqual({
      kind: 'unknown',
      keyId: stranger!.keyId,
    });
    expect((await checkBase(await by(old), 'r', trusted)).ok).toBe(true);
    expect(await checkBase(await by(stranger), 'r', trusted)).toMatchObject({
      ok: false,
      code: 'UNKNOWN_KEY',
    });
  });

  it('gives no credit to a key a relay "rotated in" with a record signed by that key itself', async () => {
    const [mine, relayKey] = await Promise.all([1, 2].map(() => generateSigningKey()));
    const selfSigned = [await keySetRecord('r', 1, [relayKey!], [relayKey!])];
    const trusted = await publisherTrust('r', mine!.publicKey, [], selfSigned);
    const evil = (await buildRelease({ room: 'r', key: relayKey!, previous: null, slots })).signed;
    expect(await checkBase(evil, 'r', trusted)).toMatchObject({ ok: false, code: 'UNKNOWN_KEY' });
    expect(await signerOf(evil, mine!.publicKey, trusted)).toEqual({
      kind: 'unknown',
      keyId: relayKey!.keyId,
    });
  });
});
