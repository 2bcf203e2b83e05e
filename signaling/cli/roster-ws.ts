/**
 * `patchcast status --key`: the room's whole roster, as the relay shows it only to an admin that
 * proves a room key — a `/ws` hello as admin, the welcome's challenge signed with the key, the first
 * `roster` that follows.
 */
import WebSocket from 'ws';
import {
  PROTOCOL_VERSION,
  parseMessage,
  signRosterChallenge,
  type Roster,
  type SigningKey,
} from '../../protocol/index.ts';
import { CliError } from './io.ts';

/** How long `status --key` waits for the roster. */
export const ROSTER_TIMEOUT_MS = 10_000;

/** The `/ws` URL of a relay's HTTP base URL. */
function wsUrlOf(server: string): string {
  const url = new URL('/ws', server);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/** Opens `/ws`, answers the roster challenge with `key`, resolves with the room's roster (without itself). */
export function signedRoster(
  server: string,
  room: string,
  key: SigningKey,
  timeoutMs = ROSTER_TIMEOUT_MS,
): Promise<Roster> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrlOf(server));
    let self = '';
    const done = (error: Error | null, roster?: Roster) => {
      clearTimeout(timer);
      ws.close();
      if (error) reject(error);
      else resolve(roster!);
    };
    const timer = setTimeout(
      () => done(new CliError(`no roster from ${server} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    ws.on('error', (error) => done(new CliError(`cannot reach ${server}: ${error.message}`)));
    ws.on('open', () => {
      const clientId = `cli-${Math.random().toString(36).slice(2, 10)}`;
      ws.send(JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION, room, role: 'admin', clientId, seq: 0 }));
    });
    ws.on('message', (data: Buffer) => {
      let json: unknown;
      try {
        json = JSON.parse(data.toString('utf8'));
      } catch {
        return;
      }
      const parsed = parseMessage(json);
      if (!parsed.ok) return;
      const message = parsed.value;
      if (message.type === 'welcome') {
        self = message.clientId;
        if (message.challenge === undefined) return done(new CliError('the relay sent no roster challenge'));
        signRosterChallenge(key, room, message.challenge).then(
          (auth) => ws.send(JSON.stringify(auth)),
          (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
        );
      } else if (message.type === 'roster' && message.room === room) {
        // Without its own admin session: the CLI reports the others.
        done(null, { ...message, clients: message.clients.filter((c) => c.clientId !== self) });
      } else if (message.type === 'error') {
        done(new CliError(`${message.code}: ${message.message}`, 1, message.code));
      }
    });
  });
}
