/**
 * Shared parts of the adoption and guarded-rollout tests: a real relay (restartable on its data dir),
 * headless Node players over framed TCP, and the publisher as the CLI and the admin use it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodePlayer } from '../../player/node/node-player.ts';
import { tcpTransport } from '../../player/node/tcp-transport.ts';
import { inRollout, sha256Hex, toKeyFile, utf8 } from '../../protocol/index.ts';
import { adoptionOf } from '../../publisher/guarded.ts';
import type { PublisherContext } from '../../publisher/publisher.ts';
import { RelayApi } from '../../publisher/relay-api.ts';
import { startTestServer, TestRoom, until, type TestServer } from '../../signaling/testing/helpers.ts';

/** A relay on a data dir that outlives it (so the test can restart it). */
export class Relay {
  server!: TestServer;
  private constructor(readonly dataDir: string) {}

  private staticDir: string | null = null;

  /** `staticDir`: the built site the relay serves too (browser tests). */
  static async start(staticDir: string | null = null): Promise<Relay> {
    const relay = new Relay(await mkdtemp(join(tmpdir(), 'adopt-')));
    relay.staticDir = staticDir;
    relay.server = await startTestServer({ dataDir: relay.dataDir, staticDir });
    return relay;
  }

  /** Stops the relay and starts a new one on the same data dir and the same ports. */
  async restart(): Promise<void> {
    const { httpPort, tcpPort } = this.server;
    await this.server.close();
    this.server = await startTestServer({
      dataDir: this.dataDir,
      httpPort,
      tcpPort,
      staticDir: this.staticDir,
    });
  }

  async dispose(): Promise<void> {
    await this.server.close();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

/** Players of a room, started and closed together. */
export class Players {
  readonly all: NodePlayer[] = [];
  constructor(
    private readonly relay: Relay,
    private readonly room: TestRoom,
  ) {}

  /** `fps` 0: scripts are tried when applied, never run on (no run-time timeouts on a starved machine). */
  async add(n: number, fps = 20, prefix = 'p'): Promise<NodePlayer[]> {
    const made: NodePlayer[] = [];
    for (let i = 0; i < n; i++) {
      const { server } = this.relay;
      const player = new NodePlayer({
        room: this.room.room,
        publicKey: this.room.key.publicKey,
        server: server.url,
        clientId: `${prefix}-${this.all.length}`,
        connect: tcpTransport(server.host, server.tcpPort),
        backoff: { initialMs: 100, maxMs: 500 },
        fps,
        // Wide budgets: seven test runs share two cores, and a starved frame must not pass for a bad script.
        logic: { budgetMs: 2_000, loadBudgetMs: 60_000 },
      });
      this.all.push(player);
      made.push(player);
    }
    await Promise.all(made.map((p) => p.start()));
    return made;
  }

  close(): void {
    for (const p of this.all) p.close();
  }
}

/** The publisher's context for a room of a test relay. */
export function publisherOf(relay: Relay, room: TestRoom): PublisherContext {
  return { api: new RelayApi(relay.server.url), room: room.room, key: room.key };
}

/** The adoption counts of the room's newest release, once `ready` says they are what the test waits for. */
export async function newestAdoption(
  relay: Relay,
  room: string,
  ready: (a: Awaited<ReturnType<typeof adoptionOf>>[number]) => boolean,
  timeoutMs = 30_000,
) {
  let last: Awaited<ReturnType<typeof adoptionOf>>[number] | undefined;
  await until(async () => {
    last = (await adoptionOf(new RelayApi(relay.server.url), room))[0];
    return last !== undefined && ready(last);
  }, timeoutMs).catch(() => {
    throw new Error(`adoption not as awaited: ${JSON.stringify(last)}`);
  });
  return last!;
}

/** A script change for the publisher. */
export function script(source: string) {
  return { op: 'set', slot: 'logic', content: { kind: 'script', lang: 'js', bytes: utf8(source) } } as const;
}

/** A script that keeps the contract. */
export const GOOD = 'export function update(ball, world, dt) { return { ...ball, x: ball.x + 1 }; }';
/** A script that throws on its first call (the trial frames catch it). */
export const THROWS = 'export function update(ball) { throw new Error("boom: bad patch"); }';
/** A script that works for its first 30 frames, then throws (a failure at run time). */
export const THROWS_LATER =
  'let n = 0; export function update(ball) { if (++n > 30) throw new Error("boom later"); return ball; }';

/** Writes the room's key to a key file (mode 0600) for the CLI; returns its path. */
export async function keyFileOf(room: TestRoom): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'adopt-key-'));
  const path = join(dir, 'key.json');
  await writeFile(path, JSON.stringify(await toKeyFile(room.key, room.room)), { mode: 0o600 });
  return path;
}

/**
 * `source` with a comment that makes a step of `percent` expose some of the players but not all (the
 * rollout bucket hangs on the client id, the slot and the blob).
 */
export async function splitting(
  players: readonly NodePlayer[],
  source: string,
  percent: number,
): Promise<{ source: string; exposed: string[] }> {
  for (let nonce = 0; ; nonce++) {
    const text = `${source}\n// ${nonce} ${'padding '.repeat(4000)}`;
    const sha = await sha256Hex(utf8(text));
    const exposed: string[] = [];
    for (const p of players) {
      const id = p.client.status().clientId!;
      if (await inRollout(id, 'logic', sha, percent)) exposed.push(id);
    }
    if (exposed.length > 0 && exposed.length < players.length) return { source: text, exposed };
  }
}
