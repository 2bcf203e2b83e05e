// The relay client's handling of answers an honest relay never gives (the CLI and admin tests cover
// the real relay): each fetch here returns a crafted `Response`.
import { describe, expect, it } from 'vitest';
import { utf8 } from '../protocol/bytes.ts';
import { generateSigningKey, sha256Hex } from '../protocol/crypto.ts';
import { buildRelease } from './build.ts';
import { RelayError } from './errors.ts';
import { RAW_UPLOAD_BYTES, RelayApi, type Fetch } from './relay-api.ts';

const R = 'http://relay.test';
const answer =
  (body: BodyInit | null, init: ResponseInit = {}): Fetch =>
  () =>
    Promise.resolve(new Response(body, init));
const api = (f: Fetch) => new RelayApi(`${R}/`, f);

describe('relay client', () => {
  it('turns an error body into its code and message', async () => {
    const f = answer(JSON.stringify({ error: { code: 'STALE_SEQ', message: 'seq 3 is not above 4' } }), {
      status: 409,
    });
    const err = await api(f)
      .latest('demo')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect(err).toMatchObject({ code: 'STALE_SEQ', status: 409, message: 'seq 3 is not above 4' });
  });

  it('names what it could not understand', async () => {
    await expect(api(answer('<html>oops</html>', { status: 502 })).latest('demo')).rejects.toMatchObject({
      code: 'HTTP',
      status: 502,
    });
    await expect(api(answer('not json', { status: 200 })).latest('demo')).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
    });
    await expect(
      api(answer('{"room":"demo","releases":[{"release":1}]}')).history('demo'),
    ).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
    await expect(api(() => Promise.reject(new TypeError('refused'))).latest('demo')).rejects.toMatchObject({
      code: 'NETWORK',
    });
    const noRoom = () =>
      answer(JSON.stringify({ error: { code: 'NO_SUCH_ROOM', message: 'no room' } }), { status: 404 });
    expect(await api(noRoom()).latest('demo')).toBeNull();
    expect(await api(noRoom()).history('demo')).toEqual([]);
    expect(await api(noRoom()).keys('demo')).toBeNull();
    // A 404 that is not the relay saying "no such room" is not an empty room.
    await expect(api(answer('Not Found', { status: 404 })).history('demo')).rejects.toMatchObject({
      code: 'HTTP',
      status: 404,
    });
  });

  it('refuses a blob whose bytes do not match its hash', async () => {
    const good = utf8('hello');
    const sha = await sha256Hex(good);
    expect(await api(answer(new Uint8Array(good))).blob(sha)).toEqual(good);
    const err = await api(answer(new Uint8Array(utf8('jello'))))
      .blob(sha)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect(err).toMatchObject({ code: 'HASH_MISMATCH' });
  });

  it('sorts history by seq, highest first, whatever order the relay sends', async () => {
    const key = await generateSigningKey();
    const one = await buildRelease({ room: 'demo', key, previous: null, slots: {} });
    const two = await buildRelease({ room: 'demo', key, previous: one.signed.release, slots: {} });
    const three = await buildRelease({ room: 'demo', key, previous: two.signed.release, slots: {} });
    const body = { room: 'demo', releases: [two.signed, three.signed, one.signed] };
    const seqs = (await api(answer(JSON.stringify(body))).history('demo')).map((s) => s.release.seq);
    expect(seqs).toEqual([3, 2, 1]);
  });

  it('sends big blobs raw first unless the relay has them, and small ones inline', async () => {
    const key = await generateSigningKey();
    const big = new Uint8Array(RAW_UPLOAD_BYTES).fill(7);
    const held = new Uint8Array(RAW_UPLOAD_BYTES + 1).fill(9);
    const small = new Uint8Array(RAW_UPLOAD_BYTES - 1).fill(1);
    const built = await buildRelease({
      room: 'demo',
      key,
      previous: null,
      slots: {
        logic: { kind: 'script', bytes: small, version: '1' },
        background: { kind: 'texture', bytes: big, mime: 'image/png', version: '1' },
        other: { kind: 'texture', bytes: held, mime: 'image/png', version: '1' },
      },
    });
    const heldSha = await sha256Hex(held);
    const calls: { url: string; method: string; body: unknown }[] = [];
    const f: Fetch = (url, init) => {
      const method = init?.method ?? 'GET';
      calls.push({ url, method, body: init?.body });
      if (method === 'HEAD')
        return Promise.resolve(new Response(null, { status: url.endsWith(heldSha) ? 200 : 404 }));
      if (method === 'PUT') {
        return Promise.resolve(
          new Response(JSON.stringify({ sha256: url.slice(-64), size: 1, stored: true })),
        );
      }
      return Promise.resolve(
        new Response(JSON.stringify({ room: 'demo', seq: 1, version: '1.0.0' }), { status: 201 }),
      );
    };
    expect(await api(f).publish(built.signed, built.blobs, key.publicKey)).toEqual({
      room: 'demo',
      seq: 1,
      version: '1.0.0',
    });
    const bigSha = await sha256Hex(big);
    expect(calls.map((c) => `${c.method} ${c.url.slice(R.length)}`)).toEqual([
      `HEAD /api/blobs/${bigSha}`,
      `PUT /api/blobs/${bigSha}`,
      `HEAD /api/blobs/${heldSha}`,
      'POST /api/rooms/demo/releases',
    ]);
    const sent: unknown = JSON.parse(String(calls.at(-1)?.body));
    expect(sent).toEqual({
      publicKey: key.publicKey,
      signed: built.signed,
      blobs: { [await sha256Hex(small)]: expect.any(String) },
    });
  });
});
