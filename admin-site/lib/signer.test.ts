import { describe, expect, it } from 'vitest';
import { buildRelease } from '../../protocol/build.ts';
import { utf8 } from '../../protocol/bytes.ts';
import { generateSigningKey } from '../../protocol/crypto.ts';
import { signerOf } from './signer.ts';

describe('signerOf', () => {
  it('tells my key, another room key and an unknown key apart', async () => {
    const mine = await generateSigningKey();
    const old = await generateSigningKey();
    const stranger = await generateSigningKey();
    const slots = { logic: { kind: 'script' as const, bytes: utf8('x'), version: '1' } };
    const byMe = (await buildRelease({ room: 'r', key: mine, previous: null, slots })).signed;
    const byOld = (await buildRelease({ room: 'r', key: old, previous: null, slots })).signed;
    const roomKeys = [old, mine].map((k) => ({ keyId: k.keyId, publicKey: k.publicKey }));
    expect(await signerOf(byMe, mine.publicKey, roomKeys)).toEqual({ kind: 'mine' });
    expect(await signerOf(byOld, mine.publicKey, roomKeys)).toEqual({ kind: 'room-key', keyId: old.keyId });
    // A relay that lists a key under the wrong id (or a forged release) gets no credit.
    const lying = [{ keyId: old.keyId, publicKey: stranger.publicKey }];
    expect(await signerOf(byOld, mine.publicKey, lying)).toEqual({ kind: 'unknown', keyId: old.keyId });
    expect(await signerOf(byMe, null, [])).toEqual({ kind: 'unknown', keyId: mine.keyId });
  });
});
