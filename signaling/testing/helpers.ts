/**
 * Test helpers: a server on ephemeral ports over a temp data dir, rooms with keys, releases built
 * and published over real HTTP, and a raw connection that speaks the wire protocol over either
 * transport so one suite runs against both.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import sharp from 'sharp';
import {
  ApiPath,
  BUNDLE_CONTENT_TYPE,
  encodeBundle,
  FrameDecoder,
  configBytes,
  decodeBody,
  encodeFrame,
  generateSigningKey,
  parseErrorBody,
  parseMessage,
  signRosterChallenge,
  utf8,
  fromBase64,
  type BlobMessage,
  type Message,
  type SignedRelease,
  type SigningKey,
} from '../../protocol/index.ts';
import { buildRelease, type BuildReleaseInput, type BuiltRelease } from '../../publisher/build.ts';
import { RAW_UPLOAD_BYTES, splitBlobs } from '../../publisher/relay-api.ts';
import { ensureDemoRoom, type DemoInfo } from '../demo/demo-room.ts';
import { startServer, type RunningServer, type ServerOptions } from '../server.ts';

/** A `blob` message's chunk: its binary frame's bytes, or its base64 decoded. */
export function chunkBytes(message: BlobMessage): Uint8Array {
  return 'bytes' in message ? message.bytes : fromBase64(message.data);
}

/** The operator token of every test server (unless a test gives its own `creation`). */
export const TEST_OPERATOR_TOKEN = 'test-operator-token-0123456789';

/** The header that makes a request an operator's on a test server. */
export const OPERATOR_HEADERS = { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` } as const;

/** Options of {@link startTestServer}. */
export interface TestServerOptions extends Partial<ServerOptions> {
  /** Create the demo room as `patchcast serve` does (default false). */
  readonly demo?: boolean;
}

/** A server for one test, with its temp dir. */
export interface TestServer extends RunningServer {
  readonly dataDir: string;
  /** The demo room, when asked for. */
  readonly demo: DemoInfo | null;
  /** Closes the server and removes the data dir. */
  dispose(): Promise<void>;
}

/**
 * Tells the relay these PeerJS ids are registered from 127.0.0.1, as its `/peerjs` endpoint does when
 * a real PeerJS socket registers (that path is tested in `signaling/peerjs.test.ts`).
 */
export function registerPeerIds(server: RunningServer, ...ids: string[]): void {
  for (const id of ids) server.hub.peerIds.register(id, '127.0.0.1');
}

/** Starts a server on ephemeral ports over a fresh temp data dir. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { demo: withDemo = false, ...serverOptions } = options;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'patchcast-test-')));
  let demo: DemoInfo | null = null;
  const server = await startServer({
    httpPort: 0,
    tcpPort: 0,
    staticDir: null,
    log: () => {},
    creation: {
      operatorToken: TEST_OPERATOR_TOKEN,
      openRooms: false,
      maxRoomsPerAddress: 0,
      reserved: new Set(),
    },
    ...serverOptions,
    dataDir,
    prepare: async (relay) => {
      await serverOptions.prepare?.(relay);
      if (withDemo) demo = await ensureDemoRoom(relay, dataDir);
    },
  });
  return {
    ...server,
    dataDir,
    demo,
    dispose: async () => {
      await server.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A PNG of the given size, plain colour. */
export async function pngBytes(width = 64, height = 48, colour = '#3366cc'): Promise<Uint8Array> {
  return new Uint8Array(
    await sharp({ create: { width, height, channels: 3, background: colour } })
      .png()
      .toBuffer(),
  );
}

/** A PNG of about `bytes` bytes (random pixels do not compress). */
export async function bigPngBytes(bytes: number): Promise<Uint8Array> {
  const side = Math.ceil(Math.sqrt(bytes / 3));
  const raw = Buffer.alloc(side * side * 3);
  let x = 12345;
  for (let i = 0; i < raw.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    raw[i] = x >>> 24;
  }
  return new Uint8Array(
    await sharp(raw, { raw: { width: side, height: side, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer(),
  );
}

/**
 * `built` as the publisher sends it in one request (`protocol/bundle.ts`): blobs under
 * `RAW_UPLOAD_BYTES` inline, the bigger ones raw behind the head.
 */
export function releaseBundle(built: BuiltRelease): Uint8Array<ArrayBuffer> {
  const { inline, raw } = splitBlobs(built.blobs);
  return encodeBundle({ signed: built.signed, blobs: inline }, raw);
}

/** Every file under a data dir's `blobs/` (temp files included), sorted. */
export async function blobFiles(dataDir: string): Promise<string[]> {
  const root = join(dataDir, 'blobs');
  const out: string[] = [];
  for (const sub of await readdir(root).catch(() => [])) {
    for (const name of await readdir(join(root, sub)).catch(() => [])) out.push(`${sub}/${name}`);
  }
  return out.sort();
}

/** The publish's authorization: none, an operator token given, or the tests' operator's. */
function authHeaders(extra: { anonymous?: boolean; operatorToken?: string }): Record<string, string> {
  if (extra.anonymous) return {};
  return extra.operatorToken ? { authorization: `Bearer ${extra.operatorToken}` } : OPERATOR_HEADERS;
}

/**
 * POSTs a built release as the publisher does: blobs under {@link RAW_UPLOAD_BYTES} inline, the big
 * ones raw in the same request (a bundle); with `put`, the older way — on `BLOB_MISSING` the big ones
 * raw (`PUT`) and the release again. `omitBlobs`: no blob sent at all. Returns the last HTTP status
 * and JSON body.
 */
export async function postRelease(
  url: string,
  built: BuiltRelease,
  extra: {
    publicKey?: string;
    omitBlobs?: boolean;
    anonymous?: boolean;
    operatorToken?: string;
    put?: boolean;
  } = {},
): Promise<{ status: number; body: unknown }> {
  const { inline, raw } = splitBlobs(built.blobs);
  const body = {
    signed: built.signed,
    ...(extra.omitBlobs ? {} : { blobs: inline }),
    ...(extra.publicKey ? { publicKey: extra.publicKey } : {}),
  };
  const post = async () => {
    const res = await fetch(url + ApiPath.releases(built.signed.release.room), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders(extra) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  // As the publisher does: the big blobs' raw bytes in one bundle with the release (`PUT` only with
  // `extra.put`, the older way a relay without bundles takes them).
  if (!extra.omitBlobs && !extra.put && raw.length > 0) {
    const res = await fetch(url + ApiPath.releases(built.signed.release.room), {
      method: 'POST',
      headers: { ...authHeaders(extra), 'content-type': BUNDLE_CONTENT_TYPE },
      body: encodeBundle(body, raw),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  }
  const first = await post();
  if (extra.omitBlobs || first.status !== 409) return first;
  const refusal = parseErrorBody(first.body);
  const missing = refusal.ok ? (refusal.value.error.missing ?? []) : [];
  if (missing.length === 0 || missing.some((sha) => !built.blobs.has(sha))) return first;
  for (const sha of missing) {
    const put = await fetch(url + ApiPath.blob(sha), {
      method: 'PUT',
      body: new Uint8Array(built.blobs.get(sha)!),
    });
    if (!put.ok) return { status: put.status, body: (await put.json()) as unknown };
  }
  return post();
}

/** A room with its key, publishing over HTTP. */
export class TestRoom {
  latest: SignedRelease | null = null;

  constructor(
    public url: string,
    readonly room: string,
    readonly key: SigningKey,
  ) {}

  /** Creates a room with a fresh key and a first release (logic, theme, background). */
  static async create(url: string, room = 'test'): Promise<TestRoom> {
    const r = new TestRoom(url, room, await generateSigningKey());
    const built = await r.build({
      slots: {
        logic: {
          kind: 'script',
          lang: 'js',
          bytes: utf8('export function update(b){return b}\n'),
          version: '1.0.0',
        },
        theme: { kind: 'config', bytes: configBytes({ background: '#102030' }), version: '1.0.0' },
        background: { kind: 'texture', mime: 'image/png', bytes: await pngBytes(), version: '1.0.0' },
      },
    });
    const res = await r.publish(built, { publicKey: r.key.publicKey });
    if (res.status !== 201) throw new Error(`first publish failed: ${JSON.stringify(res.body)}`);
    return r;
  }

  /** Builds the next release on top of the latest. */
  build(input: Partial<Omit<BuildReleaseInput, 'room' | 'key'>>): Promise<BuiltRelease> {
    return buildRelease({
      room: this.room,
      key: this.key,
      previous: this.latest?.release ?? null,
      slots: {},
      ...input,
    });
  }

  /** Publishes; on 201 the release becomes the latest. */
  async publish(
    built: BuiltRelease,
    extra: { publicKey?: string; omitBlobs?: boolean; anonymous?: boolean; operatorToken?: string } = {},
  ) {
    const res = await postRelease(this.url, built, extra);
    if (res.status === 201) this.latest = built.signed;
    return res;
  }

  /** Builds and publishes a new logic script. */
  async publishScript(source: string, version: string) {
    const built = await this.build({
      slots: { logic: { kind: 'script', lang: 'js', bytes: utf8(source), version } },
    });
    const res = await this.publish(built);
    if (res.status !== 201) throw new Error(`publish failed: ${JSON.stringify(res.body)}`);
    return built;
  }
}

/** Where a raw connection goes: a relay's (or a balancer's) host and ports. */
export type RelayAddress = Pick<RunningServer, 'host' | 'httpPort' | 'tcpPort'>;

/** Which transport a raw connection uses. */
export type TransportName = 'ws' | 'tcp';

/** What ended a raw connection. */
export interface Ended {
  /** WebSocket close code (undefined for TCP). */
  readonly code: number | undefined;
}

/** A connection that speaks the wire protocol directly, recording every message. */
export class RawConn {
  readonly messages: Message[] = [];
  readonly junk: unknown[] = [];
  readonly ended: Promise<Ended>;
  private readonly waiters: { test: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  private endedFlag = false;
  private markEnded!: (e: Ended) => void;

  private constructor(
    private readonly sendBytes: (bytes: Uint8Array) => void,
    readonly close: () => void,
  ) {
    this.ended = new Promise((resolve) => {
      this.markEnded = (e) => {
        this.endedFlag = true;
        resolve(e);
      };
    });
  }

  /** True once the connection ended. */
  get isEnded(): boolean {
    return this.endedFlag;
  }

  /** Opens a raw connection over `transport`. */
  static open(server: RelayAddress, transport: TransportName): Promise<RawConn> {
    return transport === 'ws' ? RawConn.openWs(server) : RawConn.openTcp(server);
  }

  static openTcp(server: RelayAddress): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const socket: Socket = netConnect({ host: server.host, port: server.tcpPort });
      const decoder = new FrameDecoder({ maxFrameBytes: 64 * 1024 * 1024 });
      const conn = new RawConn(
        (bytes) => socket.write(bytes),
        () => socket.destroy(),
      );
      conn.socket = socket;
      socket.on('connect', () => resolve(conn));
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        for (const frame of decoder.push(chunk)) conn.take(frame.ok ? frame.value : frame);
      });
      socket.on('close', () => conn.markEnded({ code: undefined }));
    });
  }

  static openWs(server: RelayAddress): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${server.host}:${server.httpPort}/ws`);
      const conn = new RawConn(
        (bytes) => ws.send(bytes, { binary: false }),
        () => ws.terminate(),
      );
      ws.on('open', () => resolve(conn));
      ws.on('error', reject);
      ws.on('message', (data: Buffer) => {
        const frame = decodeBody(new Uint8Array(data));
        conn.take(frame.ok ? frame.value : frame);
      });
      ws.on('close', (code) => conn.markEnded({ code }));
    });
  }

  /** The TCP socket, for tests that write raw bytes or stop reading. */
  socket: Socket | undefined;

  private take(value: unknown): void {
    const parsed = parseMessage(value);
    if (!parsed.ok) {
      this.junk.push(value);
      return;
    }
    this.messages.push(parsed.value);
    for (const w of [...this.waiters]) {
      if (w.test(parsed.value)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(parsed.value);
      }
    }
  }

  /** Sends a message (any JSON value). */
  send(value: unknown): void {
    this.sendBytes(this.encode(value));
  }

  /** Sends the body bytes as one frame/message. */
  sendBody(body: Uint8Array): void {
    if (this.socket) {
      const header = Buffer.alloc(4);
      header.writeUInt32BE(body.length);
      this.socket.write(Buffer.concat([header, body]));
    } else this.sendBytes(body);
  }

  private encode(value: unknown): Uint8Array {
    return this.socket ? encodeFrame(value) : utf8(JSON.stringify(value));
  }

  /** Says hello. */
  hello(fields: Partial<Record<string, unknown>> = {}): void {
    this.send({ type: 'hello', v: 1, room: 'test', role: 'player', clientId: 'c1', seq: 0, ...fields });
  }

  /** Says hello as an admin and answers the roster challenge with `key` (a key of the room). */
  async adminHello(key: SigningKey, fields: Partial<Record<string, unknown>> = {}): Promise<void> {
    const room = typeof fields['room'] === 'string' ? fields['room'] : 'test';
    this.hello({ role: 'admin', clientId: 'admin', ...fields });
    const welcome = await this.next('welcome');
    if (welcome.challenge === undefined) throw new Error('the relay sent no roster challenge');
    this.send(await signRosterChallenge(key, room, welcome.challenge));
  }

  /** The first message (already received or to come) of a type, optionally matching. */
  next<T extends Message['type']>(
    type: T,
    test: (m: Extract<Message, { type: T }>) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<Extract<Message, { type: T }>> {
    const match = (m: Message): m is Extract<Message, { type: T }> => m.type === type;
    const full = (m: Message) => match(m) && test(m);
    const have = this.messages.find(full);
    if (have && match(have)) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        test: full,
        resolve: (m) => {
          clearTimeout(timer);
          if (match(m)) resolve(m);
        },
      });
    });
  }

  /** Waits for the end of the connection. */
  waitEnd(timeoutMs = 5_000): Promise<Ended> {
    return Promise.race([
      this.ended,
      new Promise<Ended>((_, reject) =>
        setTimeout(() => reject(new Error('connection did not end')), timeoutMs),
      ),
    ]);
  }
}

/** Waits until `test` is true, polling. */
export async function until(
  test: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const start = Date.now();
  while (!(await test())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
