/**
 * A relay that lies about one room's live release: an HTTP front over a real relay that passes every
 * request through, except `GET /api/rooms/:room/release`, whose script slot it swaps for a script of
 * its own (served at its hash) — keeping the relay's signature (`bad-signature`: the signature no
 * longer verifies), or signed by a key of its own (`unknown-key`). `honest` passes everything.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeSlots } from '../../../protocol/assemble.ts';
import { ApiPath, parseSignedRelease, utf8, type SigningKey } from '../../../protocol/index.ts';
import { buildRelease } from '../../../publisher/build.ts';

/** What the front serves as the room's live release. */
export type LyingMode = 'honest' | 'bad-signature' | 'unknown-key';

/** A running lying front. */
export interface LyingRelay {
  readonly url: string;
  mode: LyingMode;
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Starts a front over `upstream` that lies about `room` (see the file comment). */
export async function startLyingRelay(
  upstream: string,
  room: string,
  script: string,
  stranger: SigningKey,
): Promise<LyingRelay> {
  const bytes = utf8(script);
  const { slots } = await describeSlots({ s: { kind: 'script', bytes, version: 'liar' } }, 64 * 1024);
  const evil = slots['s']!;

  async function lie(body: Buffer, mode: LyingMode): Promise<Buffer> {
    const parsed = parseSignedRelease(JSON.parse(body.toString('utf8')));
    if (!parsed.ok) throw new Error(parsed.message);
    const signed = parsed.value;
    const name = Object.entries(signed.release.slots).find(([, s]) => s.kind === 'script')?.[0] ?? 'logic';
    if (mode === 'bad-signature') {
      const release = { ...signed.release, slots: { ...signed.release.slots, [name]: evil } };
      return Buffer.from(JSON.stringify({ ...signed, release }));
    }
    const built = await buildRelease({
      room,
      key: stranger,
      previous: signed.release,
      seq: signed.release.seq,
      version: signed.release.version,
      slots: { [name]: { kind: 'script', bytes, version: 'liar' } },
    });
    return Buffer.from(JSON.stringify(built.signed));
  }

  const front = {
    mode: 'honest' as LyingMode,
    url: '',
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    void (async () => {
      const path = req.url ?? '/';
      if (front.mode !== 'honest' && path === ApiPath.blob(evil.sha256)) {
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'access-control-allow-origin': '*',
        });
        res.end(Buffer.from(bytes));
        return;
      }
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers.set(k, v);
      }
      const method = req.method ?? 'GET';
      const answer = await fetch(upstream + path, {
        method,
        headers,
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: new Uint8Array(await bodyOf(req)) }),
      });
      let body: Buffer = Buffer.from(await answer.arrayBuffer());
      if (front.mode !== 'honest' && method === 'GET' && path === ApiPath.release(room) && answer.ok) {
        body = await lie(body, front.mode);
      }
      const out: Record<string, string> = {};
      answer.headers.forEach((v, k) => {
        if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(k))
          out[k] = v;
      });
      res.writeHead(answer.status, out);
      res.end(body);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  front.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return front;
}
