import { describe, expect, it } from 'vitest';
import { generateSigningKey, type SigningKey } from './crypto.ts';
import { ErrorCode } from './errors.ts';
import {
  acceptRotation,
  extendTrust,
  nextKeySet,
  pinnedState,
  signRotation,
  stateOf,
  trustKeys,
  walkChain,
  type KeySetState,
} from './keys.ts';

const keys = (n: number) => Promise.all(Array.from({ length: n }, () => generateSigningKey()));

/** Key set `version` of room `demo` holding `members`, signed by `signers`. */
function record(version: number, members: SigningKey[], signers: SigningKey[], threshold = 1) {
  return signRotation(
    {
      format: 1,
      kind: 'key-set',
      room: 'demo',
      version,
      keys: members.map((k) => k.publicKey),
      threshold,
      createdAt: new Date().toISOString(),
    },
    signers,
  );
}

async function at(version: number, members: SigningKey[], threshold = 1): Promise<KeySetState> {
  return { version, keys: await trustKeys(members.map((k) => k.publicKey)), threshold };
}

describe('key sets', () => {
  it('moves to the next version when the current keys and the new ones sign it', async () => {
    const [a, b] = await keys(2);
    const next = await record(2, [a!, b!], [a!, b!]);
    const result = await acceptRotation(JSON.parse(JSON.stringify(next)), 'demo', await at(1, [a!]));
    expect(result.ok && [...result.value.state.keys.keys()].sort()).toEqual([a!.keyId, b!.keyId].sort());
    expect(result.ok && result.value.state.version).toBe(2);
  });

  it('removes a key: releases of the removed key are no longer trusted', async () => {
    const [a, b] = await keys(2);
    const result = await acceptRotation(await record(2, [b!], [a!, b!]), 'demo', await at(1, [a!, b!]));
    expect(result.ok && [...result.value.state.keys.keys()]).toEqual([b!.keyId]);
  });

  it('refuses a replay or an older version, and a gap', async () => {
    const [a, b] = await keys(2);
    const current = await at(3, [a!, b!]);
    for (const version of [1, 2, 3]) {
      expect(await acceptRotation(await record(version, [a!], [a!, b!]), 'demo', current)).toMatchObject({
        ok: false,
        code: ErrorCode.STALE_KEY_SET,
      });
    }
    expect(await acceptRotation(await record(5, [a!], [a!]), 'demo', current)).toMatchObject({
      ok: false,
      code: ErrorCode.BAD_MESSAGE,
    });
  });

  it('needs the threshold of the current keys and of its own', async () => {
    const [a, b, c, d] = await keys(4);
    const twoOfThree = await at(1, [a!, b!, c!], 2);
    const oneSigner = await record(2, [a!, b!, d!], [a!, d!]);
    expect(await acceptRotation(oneSigner, 'demo', twoOfThree)).toMatchObject({
      ok: false,
      code: ErrorCode.BAD_SIGNATURE,
    });
    // The same signature twice counts once.
    const doubled = { ...oneSigner, sigs: [oneSigner.sigs[0]!, oneSigner.sigs[0]!, oneSigner.sigs[1]!] };
    expect((await acceptRotation(doubled, 'demo', twoOfThree)).ok).toBe(false);
    expect((await acceptRotation(await record(2, [a!, b!, d!], [a!, b!]), 'demo', twoOfThree)).ok).toBe(true);
    // Its own threshold: a set of d and c with threshold 2 that only d signed.
    const notOwn = await record(2, [c!, d!], [a!, b!, d!], 2);
    expect(await acceptRotation(notOwn, 'demo', twoOfThree)).toMatchObject({
      ok: false,
      code: ErrorCode.BAD_SIGNATURE,
    });
  });

  it('refuses records signed by an untrusted key, for another room, or tampered', async () => {
    const [a, mallory] = await keys(2);
    const current = await at(1, [a!]);
    expect(await acceptRotation(await record(2, [mallory!], [mallory!]), 'demo', current)).toMatchObject({
      ok: false,
      code: ErrorCode.UNKNOWN_KEY,
    });
    const other = await signRotation({ ...(await record(2, [a!], [a!])).keySet, room: 'other' }, [a!]);
    expect(await acceptRotation(other, 'demo', current)).toMatchObject({
      ok: false,
      code: ErrorCode.WRONG_ROOM,
    });
    const good = await record(2, [a!], [a!]);
    const swapped = { ...good, keySet: { ...good.keySet, keys: [mallory!.publicKey] } };
    expect((await acceptRotation(swapped, 'demo', current)).ok).toBe(false);
  });

  it('walks a chain of any length from a pinned key, skipping replays and forks', async () => {
    const chainKeys = await keys(80);
    const [m] = await keys(1);
    const chain = [await record(1, [chainKeys[0]!], [chainKeys[0]!])];
    for (let i = 1; i < chainKeys.length; i++) {
      // Each set replaces the previous key: only the newest key is trusted at the end.
      chain.push(await record(i + 1, [chainKeys[i]!], [chainKeys[i - 1]!, chainKeys[i]!]));
    }
    const noisy = [chain[0]!, chain[0]!, await record(2, [m!], [m!]), ...chain.slice(1), chain[5]!];
    const walked = await walkChain(await pinnedState([chainKeys[0]!.publicKey]), noisy, 'demo');
    expect(walked.state.version).toBe(80);
    expect([...walked.state.keys.keys()]).toEqual([chainKeys[79]!.keyId]);
    expect(walked.last?.keySet.version).toBe(80);
    // A key pinned later in the chain starts at the record that brought it in.
    const fromMiddle = await extendTrust(await trustKeys([chainKeys[40]!.publicKey]), chain, 'demo');
    expect([...fromMiddle.keys()]).toEqual([chainKeys[79]!.keyId]);
    // A walk that already stands at version 80 takes nothing from the old records.
    expect((await walkChain(walked.state, chain, 'demo')).last).toBeNull();
  });

  it('nextKeySet adds, removes and keeps the threshold within the keys left', async () => {
    const [a, b, c] = await keys(3);
    const current = await stateOf((await record(4, [a!, b!], [a!, b!], 2)).keySet);
    const next = await nextKeySet(
      'demo',
      { ...current, version: 4 },
      { add: [c!.publicKey], remove: [a!.keyId, b!.keyId] },
    );
    expect(next).toMatchObject({ version: 5, keys: [c!.publicKey], threshold: 1 });
  });
});
