// The relay client's handling of answers an honest relay never gives (each fetch returns a crafted
// `Response`), and its publishing flow against the real relay (a bundle, or the older three requests).
import { afterEach, describe, expect, it } from 'vitest';
import { utf8 } from '../protocol/bytes.ts';
import { BUNDLE_CONTENT_TYPE } from '../protocol/bundle.ts';
import { generateSigningKey, sha256Hex } from '../protocol/crypto.ts';
import { buildRelease } from './build.ts';
import { RelayError } from './errors.ts';
import { RAW_UPLOAD_BYTES, RelayApi, type Fetch } from './relay-api.ts';
import {
  TEST_OPERATOR_TOKEN,
  bigPngBytes,
  startTestServer,
  type TestServer,
} from '../signaling/testing/helpers.ts';

const R = 'http://relay.test';
const answer =
  (body: BodyInit | null, init: ResponseInit = {}): Fetch =>
  () =>
    Promise.resolve(new Response(body, init));
const api = (f: Fetch) => new RelayApi(`${R}/`, f);

/** The real relay of the tests that publish (disposed after each). */
let server: TestServer | undefined;
afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

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

  /** A release of a small script (inline) and a texture over {@link RAW_UPLOAD_BYTES} (raw). */
  async function bigRelease(room: string) {
    const key = await generateSigningKey();
    const big = await bigPngBytes(RAW_UPLOAD_BYTES * 2);
    const small = utf8('export function update(b){return b}\n');
    const built = await buildRelease({
      room,
      key,
      previous: null,
      slots: {
        logic: { kind: 'script', bytes: small, version: '1' },
        background: { kind: 'texture', bytes: big, mime: 'image/png', version: '1' },
      },
    });
    return { key, big, small, built };
  }

  /** A fetch that records each call as `METHOD /path status`, with its body and content type. */
  function recording(base: string, inner: Fetch = (url, init) => fetch(url, init)) {
    const calls: { line: string; body: unknown; type: string | undefined }[] = [];
    const f: Fetch = async (url, init) => {
      const res = await inner(url, init);
      calls.push({
        line: `${init?.method ?? 'GET'} ${url.slice(base.length)} ${res.status}`,
        body: init?.body,
        type: init?.headers?.['content-type'],
      });
      return res;
    };
    return { calls, f };
  }

  it('on a real relay: the release and its big blobs in one bundle request', async () => {
    server = await startTestServer();
    const { key, big, small, built } = await bigRelease('raw');
    const { calls, f } = recording(server.url);
    const relay = new RelayApi(server.url, f, TEST_OPERATOR_TOKEN);
    expect(await relay.publish(built.signed, built.blobs, key.publicKey)).toMatchObject({
      room: 'raw',
      seq: 1,
    });
    expect(calls.map((c) => c.line)).toEqual(['POST /api/rooms/raw/releases 201']);
    // [4-byte length][head: the publish body and the raw list][the texture's bytes]
    const body = calls[0]?.body as Uint8Array;
    expect(calls[0]?.type).toBe(BUNDLE_CONTENT_TYPE);
    const headLength = new DataView(body.buffer, body.byteOffset).getUint32(0);
    const head: unknown = JSON.parse(new TextDecoder().decode(body.subarray(4, 4 + headLength)));
    const bigSha = await sha256Hex(big);
    expect(head).toEqual({
      publicKey: key.publicKey,
      signed: built.signed,
      blobs: { [await sha256Hex(small)]: expect.any(String) },
      raw: [{ sha256: bigSha, size: big.length }],
    });
    expect(body.subarray(4 + headLength)).toEqual(big);
    expect(await relay.blob(bigSha)).toEqual(big);
    // The next release names the same texture: the relay has it, nothing goes up raw.
    calls.length = 0;
    const next = await buildRelease({ room: 'raw', key, previous: built.signed.release, slots: {} });
    await relay.publish(next.signed, next.blobs);
    expect(calls.map((c) => c.line)).toEqual(['POST /api/rooms/raw/releases 201']);
    expect(calls[0]?.type).toBe('application/json');
  });

  it('a relay that takes no bundles gets the release, its BLOB_MISSING, the raw upload, the release again', async () => {
    server = await startTestServer();
    const { key, big, built } = await bigRelease('older');
    // As a relay from before bundles answers one: it reads the body as JSON.
    const older: Fetch = (url, init) =>
      init?.headers?.['content-type'] === BUNDLE_CONTENT_TYPE
        ? Promise.resolve(
            new Response(JSON.stringify({ error: { code: 'BAD_JSON', message: 'not JSON' } }), {
              status: 400,
            }),
          )
        : fetch(url, init);
    const { calls, f } = recording(server.url, older);
    const relay = new RelayApi(server.url, f, TEST_OPERATOR_TOKEN);
    expect(await relay.publish(built.signed, built.blobs, key.publicKey)).toMatchObject({ seq: 1 });
    expect(calls.map((c) => c.line)).toEqual([
      'POST /api/rooms/older/releases 400',
      'POST /api/rooms/older/releases 409',
      `PUT /api/blobs/${await sha256Hex(big)} 201`,
      'POST /api/rooms/older/releases 201',
    ]);
  });

  it('with bundles off, publishes the older way even to a relay that takes bundles', async () => {
    server = await startTestServer();
    const { key, big, built } = await bigRelease('off');
    const { calls, f } = recording(server.url);
    const relay = new RelayApi(server.url, f, TEST_OPERATOR_TOKEN, { bundles: false });
    expect(await relay.publish(built.signed, built.blobs, key.publicKey)).toMatchObject({ seq: 1 });
    expect(calls.map((c) => c.line)).toEqual([
      'POST /api/rooms/off/releases 409',
      `PUT /api/blobs/${await sha256Hex(big)} 201`,
      'POST /api/rooms/off/releases 201',
    ]);
  });

  it('a bundle the relay refuses is the refusal, not the older way', async () => {
    server = await startTestServer();
    const { key, built } = await bigRelease('refused');
    const relay = new RelayApi(server.url, (url, init) => fetch(url, init), TEST_OPERATOR_TOKEN);
    await relay.publish(built.signed, built.blobs, key.publicKey);
    const { calls, f } = recording(server.url);
    // The same release again: seq 1 is taken (the texture's bytes were sent, and dropped).
    const err = await new RelayApi(server.url, f, TEST_OPERATOR_TOKEN)
      .publish(built.signed, built.blobs, key.publicKey)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STALE_SEQ' });
    expect(calls.map((c) => c.line)).toEqual(['POST /api/rooms/refused/releases 409']);
  });
});
