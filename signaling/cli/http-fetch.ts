/**
 * The CLI's HTTP client of the relay API: `node:http` (and `node:https` for an `https:` relay), one
 * keep-alive connection reused by a command's requests. Node's global `fetch` loads undici — about a
 * tenth of a second of CPU for a `patchcast publish` that makes a handful of small requests, a fifth
 * of the whole command. The publisher's client (`publisher/relay-api.ts`) takes any {@link Fetch};
 * the admin site passes the browser's.
 *
 * It answers what the relay API reads of an answer (status, JSON, bytes) and no more: no redirects
 * (the relay never redirects: a 3xx is an answer like any other refusal), no cookies, no caching. An
 * answer is read whole, up to {@link MAX_ANSWER_BYTES}; a relay that sends more is cut off.
 */
import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import type { Fetch, RelayRequest, RelayResponse } from '../../publisher/relay-api.ts';

/**
 * The largest answer read (64 MiB): the biggest thing the relay sends is a blob (a texture, at most
 * `MAX_TEXTURE_BYTES`, 12 MiB) or a room's history. Past it the request fails as a network error.
 */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/**
 * The longest a request's connection may sit silent (30 s): no connection, no answer's headers, or
 * an answer that stops mid-body. Past it the request fails as a network error — a relay that
 * accepts and never answers must not hang a pipeline. Only silence counts: a large upload or answer
 * that keeps moving takes as long as it takes.
 */
export const IDLE_TIMEOUT_MS = 30_000;

type Requester = (options: RequestOptions, answer: (res: IncomingMessage) => void) => ClientRequest;

interface Transport {
  readonly request: Requester;
  readonly agent: Agent;
}

/** An answer read whole. */
class Answer implements RelayResponse {
  constructor(
    readonly status: number,
    readonly statusText: string,
    private readonly bytes: Buffer,
  ) {}

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.bytes.toString('utf8'));
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const copy = new ArrayBuffer(this.bytes.length);
    new Uint8Array(copy).set(this.bytes);
    return copy;
  }
}

/**
 * A {@link Fetch} on `node:http`/`node:https`. Its idle connections never keep the process alive
 * (Node's agent unrefs a free socket).
 */
export function nodeFetch(options: { readonly idleTimeoutMs?: number } = {}): Fetch {
  const idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  const transports = new Map<string, Promise<Transport>>();
  const transport = (protocol: string): Promise<Transport> => {
    let found = transports.get(protocol);
    if (!found) {
      // https loads TLS: only a command that talks to an https relay pays for it.
      found = (protocol === 'https:' ? import('node:https') : import('node:http')).then((mod) => ({
        request: mod.request,
        agent: new mod.Agent({ keepAlive: true }),
      }));
      transports.set(protocol, found);
    }
    return found;
  };

  return async (input: string, init: RelayRequest = {}): Promise<RelayResponse> => {
    const url = new URL(input);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`not an http(s) URL: ${input}`);
    }
    const { request, agent } = await transport(url.protocol);
    const body = init.body === undefined ? undefined : Buffer.from(init.body);
    const headers: Record<string, string> = { ...init.headers };
    if (body !== undefined) headers['content-length'] = String(body.length);
    return new Promise<RelayResponse>((resolve, reject) => {
      const req = request(
        {
          protocol: url.protocol,
          hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: url.port,
          path: url.pathname + url.search,
          method: init.method ?? 'GET',
          headers,
          agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES) {
              reject(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
              res.destroy();
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('aborted', () => reject(new Error('the relay closed the connection mid-answer')));
          res.on('end', () =>
            resolve(new Answer(res.statusCode ?? 0, res.statusMessage ?? '', Buffer.concat(chunks, size))),
          );
          // Closed without its end (a settled promise ignores this).
          res.on('close', () => reject(new Error('the relay closed the connection mid-answer')));
        },
      );
      req.setTimeout(idleTimeoutMs, () =>
        req.destroy(new Error(`the relay was silent for ${idleTimeoutMs} ms`)),
      );
      req.on('error', reject);
      req.end(body);
    });
  };
}
