// The relay client's handling of answers an honest relay never gives (the e2e browser test covers the
// real relay): each fetch here returns a crafted `Response`.
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../protocol/crypto.ts';
import { fetchBlob, fetchHistory, fetchLatest, publishRelease, RelayError, type Fetch } from './relay.ts';
import { buildRelease } from '../../protocol/build.ts';
import { utf8 } from '../../protocol/bytes.ts';
import { generateSigningKey } from '../../protocol/crypto.ts';

const R = 'http://relay.test';
const answer =
  (body: BodyInit | null, init: ResponseInit = {}): Fetch =>
  () =>
    Promise.resolve(new Response(body, init));

describe('relay client', () => {
  it('turns an error body into its code and message', async () => {
    const f = answer(JSON.stringify({ error: { code: 'STALE_SEQ', message: 'seq 3 is not above 4' } }), {
      status: 409,
    });
    await expect(fetchLatest(R, 'demo', f)).rejects.toMatchObject({ code: 'STALE_SEQ', status: 409 });
  });

  it('names what it could not understand', async () => {
    await expect(fetchLatest(R, 'demo', answer('<html>oops</html>', { status: 502 }))).rejects.toMatchObject({
      code: 'HTTP',
    });
    await expect(fetchLatest(R, 'demo', answer('not json', { status: 200 }))).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
    });
    await expect(fetchHistory(R, 'demo', answer('{"releases":[{"release":1}]}'))).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
    });
    await expect(
      fetchLatest(R, 'demo', () => Promise.reject(new TypeError('refused'))),
    ).rejects.toMatchObject({
      code: 'NETWORK',
    });
    expect(await fetchLatest(R, 'demo', answer('{}', { status: 404 }))).toBeNull();
  });

  it('refuses a blob whose bytes do not match its hash', async () => {
    const good = utf8('hello');
    const sha = await sha256Hex(good);
    expect(await fetchBlob(R, sha, answer(new Uint8Array(good)))).toEqual(good);
    const err = await fetchBlob(R, sha, answer(new Uint8Array(utf8('jello')))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect(err).toMatchObject({ code: 'HASH_MISMATCH' });
  });

  it('sends big blobs raw first and small ones inline', async () => {
    const key = await generateSigningKey();
    const big = new Uint8Array(100 * 1024).fill(7);
    const built = await buildRelease({
      room: 'demo',
      key,
      previous: null,
      slots: {
        logic: { kind: 'script', bytes: utf8('export function update(b){return b}'), version: '1' },
        background: { kind: 'texture', bytes: big, mime: 'image/png', version: '1' },
      },
    });
    const calls: { url: string; method: string; body: unknown }[] = [];
    const f: Fetch = (url, init) => {
      calls.push({ url, method: init?.method ?? 'GET', body: init?.body });
      const body = init?.method === 'PUT' ? '{}' : JSON.stringify({ room: 'demo', seq: 1, version: '1.0.0' });
      return Promise.resolve(new Response(body, { status: 201 }));
    };
    expect(await publishRelease(R, built.signed, built.blobs, key.publicKey, f)).toEqual({
      room: 'demo',
      seq: 1,
      version: '1.0.0',
    });
    expect(calls.map((c) => c.method)).toEqual(['PUT', 'POST']);
    expect(calls[0]?.url).toBe(`${R}/api/blobs/${await sha256Hex(big)}`);
    const sent: unknown = JSON.parse(String(calls[1]?.body));
    const scriptSha = await sha256Hex(utf8('export function update(b){return b}'));
    expect(sent).toEqual({
      publicKey: key.publicKey,
      signed: built.signed,
      blobs: { [scriptSha]: expect.any(String) },
    });
  });
});
