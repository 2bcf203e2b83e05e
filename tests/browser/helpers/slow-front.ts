/**
 * A slow link in front of a real relay: an HTTP front that passes every request and WebSocket
 * upgrade through as it is, except the bodies of blob GETs (`/api/blobs/…`), which it lets through
 * `sliceBytes` at a time, one slice every `everyMs` — a player on a slow network, for what only shows
 * while a download takes a while (the HUD's progress bar).
 */
import { createServer, request } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Transform, pipeline } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/** A running slow front. */
export interface SlowFront {
  readonly url: string;
  close(): Promise<void>;
}

export interface SlowFrontOptions {
  /** Bytes let through per slice. */
  readonly sliceBytes: number;
  /** Pause after each slice (ms). */
  readonly everyMs: number;
}

/** Cuts what passes into slices of `sliceBytes`, with a pause after each. */
function throttle({ sliceBytes, everyMs }: SlowFrontOptions): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      void (async () => {
        for (let at = 0; at < chunk.length; at += sliceBytes) {
          this.push(chunk.subarray(at, at + sliceBytes));
          await sleep(everyMs);
        }
      })().then(() => done(), done);
    },
  });
}

/** Starts a slow front over `upstream` (`http://127.0.0.1:port`). */
export async function startSlowFront(upstream: string, options: SlowFrontOptions): Promise<SlowFront> {
  const target = new URL(upstream);
  const tunnels = new Set<{ destroy(): void }>();
  const server = createServer((req, res) => {
    const outbound = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        const slow = req.method === 'GET' && (req.url ?? '').startsWith('/api/blobs/');
        if (slow) pipeline(answer, throttle(options), res, () => undefined);
        else pipeline(answer, res, () => undefined);
      },
    );
    outbound.on('error', () => res.destroy());
    pipeline(req, outbound, () => undefined);
  });
  // WebSocket upgrades (`/ws`, `/peerjs`): the request head again, then bytes both ways untouched.
  server.on('upgrade', (req, socket, head) => {
    const upstreamSocket = connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstreamSocket.write(`${lines.join('\r\n')}\r\n\r\n`);
      upstreamSocket.write(head);
      socket.pipe(upstreamSocket).pipe(socket);
    });
    tunnels.add(socket).add(upstreamSocket);
    const end = () => {
      socket.destroy();
      upstreamSocket.destroy();
      tunnels.delete(socket);
      tunnels.delete(upstreamSocket);
    };
    upstreamSocket.on('error', end);
    socket.on('error', end);
    socket.on('close', end);
    upstreamSocket.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const tunnel of tunnels) tunnel.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
