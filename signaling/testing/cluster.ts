/**
 * Test helpers for several relay nodes: a real Redis (Debian's `redis-server`) on an ephemeral port
 * in a temp dir, relay nodes as real `patchcast serve --redis` processes (so a test can SIGKILL one),
 * and a real haproxy in front of them for HTTP, WebSocket and TCP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compiledCli, REPO_ROOT } from '../../scripts/cli-build.mjs';
import { TEST_OPERATOR_TOKEN } from './helpers.ts';

/** Where Debian puts the programs (`.ci/run` installs them when missing). */
export const REDIS_SERVER = process.env['REDIS_SERVER'] ?? '/usr/bin/redis-server';
export const HAPROXY = process.env['HAPROXY'] ?? '/usr/sbin/haproxy';

/** A free TCP port on 127.0.0.1 (free when asked: bind it soon). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** Waits until something accepts TCP connections on the port. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    const ok = await new Promise<boolean>((done) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (ok) return;
    if (Date.now() - start > timeoutMs) throw new Error(`nothing listens on port ${port}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once('exit', () => done()));
}

/** A Redis for one test, with its data (an fsync-always append-only file) in a temp dir. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** SIGKILLs it (its append-only file keeps every acknowledged write). */
  kill(): Promise<void>;
  /** Starts it again on the same port and dir. */
  start(): Promise<void>;
  /** Stops it and removes its dir. */
  dispose(): Promise<void>;
}

/** Starts `redis-server` on a free port. */
export async function startRedis(): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'patchcast-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn(
      REDIS_SERVER,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--logfile',
        join(dir, 'redis.log'),
      ],
      { stdio: 'ignore' },
    );
    await waitForPort(port);
  };
  await start();
  const kill = async () => {
    const c = child;
    if (!c) return;
    c.kill('SIGKILL');
    await exited(c);
    child = null;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    dispose: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One relay node: a `patchcast serve --redis` process. */
export interface TestNode {
  readonly httpPort: number;
  readonly tcpPort: number;
  readonly url: string;
  /** What it printed (stdout and stderr). */
  readonly output: string[];
  /** The process, while it runs. */
  readonly process: ChildProcess | null;
  /** Sends a signal and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same ports. */
  start(): Promise<void>;
  /** SIGKILLs it and removes its data dir. */
  dispose(): Promise<void>;
}

/**
 * Starts a relay node sharing `redisUrl` (null: a single node on its own data dir), with no demo room
 * and the test operator token.
 */
export async function startNode(redisUrl: string | null, extraArgs: string[] = []): Promise<TestNode> {
  await compiledCli(); // once, here: several nodes starting together must not all rebuild it
  const dataDir = await mkdtemp(join(tmpdir(), 'patchcast-node-'));
  let httpPort = await freePort();
  let tcpPort = await freePort();
  const output: string[] = [];
  let child: ChildProcess | null = null;
  const node: TestNode = {
    get httpPort() {
      return httpPort;
    },
    get tcpPort() {
      return tcpPort;
    },
    get url() {
      return `http://127.0.0.1:${httpPort}`;
    },
    output,
    get process() {
      return child;
    },
    kill: async (signal = 'SIGTERM') => {
      const c = child;
      if (!c) return;
      c.kill(signal);
      await exited(c);
      child = null;
    },
    dispose: async () => {
      await node.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
    start: async () => {
      const c = spawn(
        process.execPath,
        [
          resolve(REPO_ROOT, 'bin/patchcast.mjs'),
          'serve',
          ...(redisUrl === null ? [] : ['--redis', redisUrl]),
          '--http-port',
          String(httpPort),
          '--tcp-port',
          String(tcpPort),
          '--data-dir',
          dataDir,
          '--static-dir',
          join(dataDir, 'no-site'),
          '--no-demo',
          ...extraArgs,
        ],
        {
          env: { ...process.env, PATCHCAST_OPERATOR_TOKEN: TEST_OPERATOR_TOKEN },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      child = c;
      const ready = new Promise<void>((done, fail) => {
        const take = (chunk: Buffer) => {
          const text = chunk.toString();
          output.push(text);
          if (text.includes('patchcast relay on')) done();
        };
        c.stdout?.on('data', take);
        c.stderr?.on('data', take);
        c.once('exit', (code) =>
          fail(new Error(`node exited (${code}) before listening:\n${output.join('')}`)),
        );
      });
      await ready;
    },
  };
  // A free port is free when asked: another test's process may bind it before this node does. The
  // first start then picks other ports (a restart keeps its own: players come back to them).
  for (let attempt = 1; ; attempt++) {
    try {
      await node.start();
      return node;
    } catch (error) {
      child = null;
      if (attempt >= 3 || !String(error).includes('EADDRINUSE')) {
        await rm(dataDir, { recursive: true, force: true });
        throw error;
      }
      output.length = 0;
      httpPort = await freePort();
      tcpPort = await freePort();
    }
  }
}

/** haproxy in front of some nodes: one HTTP (and WebSocket) port, one TCP port. */
export interface TestBalancer {
  readonly httpPort: number;
  readonly tcpPort: number;
  readonly url: string;
  dispose(): Promise<void>;
}

/** Options of {@link startBalancer} and {@link startCluster}. */
export interface BalancerOptions {
  /**
   * The balancer names each client to the nodes: `option forwardfor` (X-Forwarded-For) on HTTP and
   * `send-proxy-v2` (PROXY protocol v2) on TCP; {@link startCluster} then starts the nodes with
   * `--trust-proxy 127.0.0.1` (haproxy's address towards them). Default false: neither.
   */
  readonly proxyHeaders?: boolean;
}

/**
 * Starts haproxy, round robin over `nodes`, each checked every 100 ms (a dead node is out after
 * one failed check; new connections go to the others).
 */
export async function startBalancer(
  nodes: readonly TestNode[],
  options: BalancerOptions = {},
): Promise<TestBalancer> {
  const dir = await mkdtemp(join(tmpdir(), 'patchcast-haproxy-'));
  const httpPort = await freePort();
  const tcpPort = await freePort();
  const proxied = options.proxyHeaders === true;
  const servers = (port: (n: TestNode) => number, extra = '') =>
    nodes
      .map((n, i) => `  server n${i} 127.0.0.1:${port(n)} check inter 100ms fall 1 rise 2${extra}`)
      .join('\n');
  const config = `global
  maxconn 4000
defaults
  timeout connect 1s
  timeout client 60s
  timeout server 60s
  timeout tunnel 1h
  retries 2
  option redispatch
frontend http_in
  mode http
  bind 127.0.0.1:${httpPort}
  default_backend relays_http
backend relays_http
  mode http
  balance roundrobin${proxied ? '\n  option forwardfor' : ''}
${servers((n) => n.httpPort)}
frontend tcp_in
  mode tcp
  bind 127.0.0.1:${tcpPort}
  default_backend relays_tcp
backend relays_tcp
  mode tcp
  balance roundrobin
${servers((n) => n.tcpPort, proxied ? ' send-proxy-v2' : '')}
`;
  const path = join(dir, 'haproxy.cfg');
  await writeFile(path, config);
  const child = spawn(HAPROXY, ['-db', '-f', path], { stdio: ['ignore', 'ignore', 'pipe'] });
  const said: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => said.push(chunk.toString()));
  try {
    await Promise.all([waitForPort(httpPort), waitForPort(tcpPort)]);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`haproxy did not start: ${said.join('')}`, { cause: error });
  }
  return {
    httpPort,
    tcpPort,
    url: `http://127.0.0.1:${httpPort}`,
    dispose: async () => {
      child.kill('SIGKILL');
      await exited(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Redis, `n` nodes and a balancer. */
export interface TestCluster {
  readonly redis: TestRedis;
  readonly nodes: TestNode[];
  readonly balancer: TestBalancer;
  dispose(): Promise<void>;
}

/** Starts Redis, `n` relay nodes on it and haproxy in front of them. */
export async function startCluster(
  n = 3,
  nodeArgs: string[] = [],
  options: BalancerOptions = {},
): Promise<TestCluster> {
  const redis = await startRedis();
  await compiledCli();
  const args = options.proxyHeaders === true ? ['--trust-proxy', '127.0.0.1', ...nodeArgs] : nodeArgs;
  const nodes = await Promise.all(Array.from({ length: n }, () => startNode(redis.url, args)));
  const balancer = await startBalancer(nodes, options);
  return {
    redis,
    nodes,
    balancer,
    dispose: async () => {
      await balancer.dispose();
      await Promise.all(nodes.map((node) => node.dispose()));
      await redis.dispose();
    },
  };
}
