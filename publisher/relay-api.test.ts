// The relay client's handling of answers an honest relay never gives (each fetch returns a crafted
// `Response`), and its publishing flow against the real relay.
import { describe, expect, it } from 'vitest';
import { utf8 } from '../protocol/bytes.ts';
import { generateSigningKey, sha256Hex } from '../protocol/crypto.ts';
import { buildRelease } from './build.ts';
import { RelayError } from './errors.ts';
import { RAW_UPLOAD_BYTES, RelayApi, type Fetch } from './relay-api.ts';
import { TEST_OPERATOR_TOKEN, bigPngBytes, startTestServer } from '../signaling/testing/helpers.ts';

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

  it('on a real relay: the release first, then the big blobs it lacks raw, then the release again', async () => {
    const server = await startTestServer();
    try {
      const key = await generateSigningKey();
      const big = await bigPngBytes(RAW_UPLOAD_BYTES * 2);
      const small = utf8('export function update(b){return b}\n');
      const built = await buildRelease({
        room: 'raw',
        key,
        previous: null,
        slots: {
          logic: { kind: 'script', bytes: small, version: '1' },
          background: { kind: 'texture', bytes: big, mime: 'image/png', version: '1' },
        },
      });
      const calls: { url: string; method: string; status: number; body: unknown }[] = [];
      const f: Fetch = async (url, init) => {
        const res = await fetch(url, init);
        calls.push({ url, method: init?.method ?? 'GET', status: res.status, body: init?.body });
        return res;
      };
      const relay = new RelayApi(server.url, f, TEST_OPERATOR_TOKEN);
      expect(await relay.publish(built.signed, built.blobs, key.publicKey)).toMatchObject({
        room: 'raw',
        seq: 1,
      });
      const bigSha = await sha256Hex(big);
      expect(calls.map((c) => `${c.method} ${c.url.slice(server.url.length)} ${c.status}`)).toEqual([
        'POST /api/rooms/raw/releases 409',
        `PUT /api/blobs/${bigSha} 201`,
        'POST /api/rooms/raw/releases 201',
      ]);
      expect(JSON.parse(String(calls[0]?.body))).toEqual({
        publicKey: key.publicKey,
        signed: built.signed,
        blobs: { [await sha256Hex(small)]: expect.any(String) },
      });
      // The next release names the same texture: the relay has it, nothing goes up raw.
      calls.length = 0;
      const next = await buildRelease({ room: 'raw', key, previous: built.signed.release, slots: {} });
      await relay.publish(next.signed, next.blobs);
      expect(calls.map((c) => c.method)).toEqual(['POST']);
    } finally {
      await server.dispose();
    }
  });
});
