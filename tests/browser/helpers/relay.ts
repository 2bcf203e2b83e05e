/**
 * The real relay (`patchcast serve`) for browser tests, as a child process on loopback, with a fresh
 * data dir (or a given one) and chosen or free ports — so a test can stop it and start it again on
 * the same address and data, as a restart in production would. Also: publishing through the HTTP API
 * with protocol's builders, and the demo room's key.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRelease } from '../../../publisher/build.ts';
import { type SlotInput } from '../../../protocol/assemble.ts';
import type { SigningKey } from '../../../protocol/crypto.ts';
import { ApiPath, parsePublished, type Published } from '../../../protocol/http.ts';
import { fromKeyFile, parseKeyFile } from '../../../protocol/keys.ts';
import { parseSignedRelease, type SignedRelease } from '../../../protocol/release.ts';
import { WebSocket } from 'ws';
import { parseMessage, signRosterChallenge, type RosterClient } from '../../../protocol/messages.ts';
import { postRelease } from '../../../signaling/testing/helpers.ts';
import { freePort } from './admin-env.ts';

/** The operator token every relay process of the browser tests runs with (it creates rooms). */
export const BROWSER_OPERATOR_TOKEN = 'browser-tests-operator-token-0123';

/** A running relay process. */
export interface RelayProcess {
  /** `http://127.0.0.1:<port>`: the built site, the API, `/ws`. */
  readonly url: string;
  readonly httpPort: number;
  readonly tcpPort: number;
  readonly dataDir: string;
  /** What the process printed so far. */
  log(): string;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and waits for the exit. */
  stop(): Promise<void>;
}

/** Options of {@link startRelayProcess}. */
export interface RelayProcessOptions {
  readonly dataDir?: string;
  readonly httpPort?: number;
  readonly tcpPort?: number;
  /** More `serve` flags. */
  readonly args?: readonly string[];
}

/** Starts `node bin/patchcast.mjs serve` and waits for `/healthz`. */
export async function startRelayProcess(options: RelayProcessOptions = {}): Promise<RelayProcess> {
  const httpPort = options.httpPort ?? (await freePort());
  const tcpPort = options.tcpPort ?? (await freePort());
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'relay-'));
  let output = '';
  const child: ChildProcess = spawn(
    process.execPath,
    [
      'bin/patchcast.mjs',
      'serve',
      '--host',
      '127.0.0.1',
      '--http-port',
      String(httpPort),
      '--tcp-port',
      String(tcpPort),
      '--data-dir',
      dataDir,
      ...(options.args ?? []),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PATCHCAST_OPERATOR_TOKEN: BROWSER_OPERATOR_TOKEN },
    },
  );
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`relay exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}${ApiPath.health()}`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`relay did not start within 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    httpPort,
    tcpPort,
    dataDir,
    log: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** The demo room's signing key, from the key file `serve` writes on a fresh data dir. */
export async function demoKey(dataDir: string, room = 'demo'): Promise<SigningKey> {
  const parsed = parseKeyFile(JSON.parse(readFileSync(join(dataDir, 'keys', `${room}.key.json`), 'utf8')));
  if (!parsed.ok) throw new Error(parsed.message);
  return fromKeyFile(parsed.value);
}

/** The room's latest release on the relay, or null. */
export async function latestRelease(url: string, room: string): Promise<SignedRelease | null> {
  const res = await fetch(`${url}${ApiPath.release(room)}`);
  if (res.status === 404) return null;
  const parsed = parseSignedRelease(await res.json());
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

/**
 * Signs and publishes the room's next release (the given slots changed, the rest carried over),
 * as the CLI and the admin site do. Resolves when the relay has accepted it (or throws its refusal),
 * with the times the request went out and the answer came back (`Date.now()`).
 */
export async function publish(
  url: string,
  room: string,
  key: SigningKey,
  slots: Record<string, SlotInput>,
  extra: { version?: string; chunkSize?: number } = {},
): Promise<Published & { signed: SignedRelease; sentAt: number; acceptedAt: number }> {
  const previous = await latestRelease(url, room);
  const built = await buildRelease({ room, key, previous: previous?.release ?? null, slots, ...extra });
  const sentAt = Date.now();
  // As the publisher does: small blobs inline, the rest uploaded raw when the relay asks for them.
  const { status, body } = await postRelease(url, built, {
    publicKey: key.publicKey,
    operatorToken: BROWSER_OPERATOR_TOKEN,
  });
  const acceptedAt = Date.now();
  if (status !== 201) throw new Error(`publish refused (${status}): ${JSON.stringify(body)}`);
  const published = parsePublished(body);
  if (!published.ok) throw new Error(published.message);
  return { ...published.value, signed: built.signed, sentAt, acceptedAt };
}

/**
 * The room's roster as an admin sees it: over `/ws`, after signing the relay's challenge with `key`
 * (the HTTP API gives anonymous callers a count only).
 */
export async function adminRoster(url: string, room: string, key: SigningKey): Promise<RosterClient[]> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
  try {
    return await new Promise<RosterClient[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no roster within 5 s')), 5_000);
      ws.on('error', reject);
      ws.on('open', () =>
        ws.send(JSON.stringify({ type: 'hello', v: 1, room, role: 'admin', clientId: 'test-admin', seq: 0 })),
      );
      ws.on('message', (data: Buffer) => {
        const parsed = parseMessage(JSON.parse(data.toString('utf8')));
        if (!parsed.ok) return;
        const message = parsed.value;
        if (message.type === 'welcome' && message.challenge !== undefined) {
          void signRosterChallenge(key, room, message.challenge).then((auth) =>
            ws.send(JSON.stringify(auth)),
          );
        } else if (message.type === 'roster') {
          clearTimeout(timer);
          resolve(message.clients.filter((c) => c.clientId !== 'test-admin'));
        } else if (message.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`${message.code}: ${message.message}`));
        }
      });
    });
  } finally {
    ws.close();
  }
}
