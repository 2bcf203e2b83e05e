/**
 * `patchcast play` is a real player: it runs the logic script in the Node sandbox with the page's
 * contract checks and trial frames, so a script that throws on its first call is acked `failed` with
 * the error (and never held), while a good one is applied.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, TestRoom, until, type TestServer } from '../testing/helpers.ts';
import { startMeddler, type Meddler } from '../../tests/client/helpers/meddler.ts';
import type { Io } from './io.ts';
import { main } from './main.ts';

let server: TestServer;
let room: TestRoom;
let meddler: Meddler;

beforeEach(async () => {
  server = await startTestServer();
  room = await TestRoom.create(server.url, 'plays');
  // (Between play and the relay, to read the acks it sends.)
  meddler = await startMeddler(server);
});
afterEach(async () => {
  await meddler.close();
  await server.dispose();
});

async function play(clientId: string): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => out.push(l), env: { PATCHCAST_SERVER: server.url } };
  const argv = [
    'play',
    '--room',
    'plays',
    '--key',
    room.key.publicKey,
    '--tcp',
    `${meddler.host}:${meddler.tcpPort}`,
  ];
  const code = await main([...argv, '--client-id', clientId, '--once', '--timeout', '20000'], io);
  return { code, out: out.join('\n') };
}

describe('patchcast play runs scripts', () => {
  it('acks a script that throws on its first call as failed, with the error', async () => {
    await room.publishScript(
      'export function update(ball) { throw new Error("boom on call one"); }',
      '2.0.0',
    );
    const played = await play('thrower');
    expect(played.code).toBe(0);
    expect(played.out).toMatch(/applied seq 2 \(version .*\) from relay/);
    expect(played.out).toMatch(/logic 2\.0\.0: failed \(.*boom on call one/);
    // What went over the wire to the relay: the ack, with the error.
    await until(() => meddler.acks.some((a) => a.slot === 'logic'));
    const ack = meddler.acks.find((a) => a.slot === 'logic');
    expect(ack).toMatchObject({ seq: 2, version: '2.0.0', status: 'failed' });
    expect(ack?.error).toContain('boom on call one');
    // The meddler sees the ack on its way in; the relay counts it a moment later.
    const failedAcks = /patchcast_acks_total\{status="failed"\} 1\b/;
    await until(
      async () => failedAcks.test(await (await fetch(`${server.url}/metrics`)).text()),
      5_000,
      'the relay to count the failed ack',
    );
  });

  it('applies a script that keeps the contract', async () => {
    await room.publishScript(
      'export function update(ball, world, dt) { return { ...ball, x: ball.x + 1 }; }',
      '3.0.0',
    );
    const played = await play('keeper');
    expect(played.code).toBe(0);
    expect(played.out).toMatch(/logic 3\.0\.0: applied/);
  });
});
