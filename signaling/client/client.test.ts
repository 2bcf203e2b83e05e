import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustKeys } from '../../protocol/index.ts';
import { bigPngBytes, startTestServer, TestRoom, type TestServer } from '../testing/helpers.ts';
import { tcpConnector } from './channel.ts';
import { PatchClient, type ClientEvent } from './client.ts';

let server: TestServer;
let room: TestRoom;

beforeAll(async () => {
  server = await startTestServer();
  room = await TestRoom.create(server.url, 'offers');
});

afterAll(async () => {
  await server.dispose();
});

async function client(events: ClientEvent[]): Promise<PatchClient> {
  const c = new PatchClient({
    room: 'offers',
    trustedKeys: await trustKeys([room.key.publicKey]),
    connect: tcpConnector('127.0.0.1', server.tcpPort),
    clientId: 'offers-client',
    onEvent: (e) => events.push(e),
  });
  await c.start();
  await c.waitForSeq(room.latest!.release.seq);
  return c;
}

describe('releases offered from elsewhere (swarm peers)', () => {
  it('a forged newer release arriving mid-download does not cancel the good one', async () => {
    const events: ClientEvent[] = [];
    const c = await client(events);
    try {
      const built = await room.build({
        slots: {
          background: { kind: 'texture', mime: 'image/png', bytes: await bigPngBytes(3 << 20), version: '9' },
        },
      });
      const good = built.signed;
      const forged = { ...good, release: { ...good.release, seq: good.release.seq + 1 } };
      await room.publish(built);
      // The relay pushes the good release; while its 3 MB blob downloads, a "peer" offers a forgery.
      await new Promise((r) => setTimeout(r, 5));
      c.offerRelease(forged);
      await c.waitForSeq(good.release.seq, 20_000);
      expect(c.release?.sig).toBe(good.sig);
      expect(events).toContainEqual(expect.objectContaining({ type: 'refused', code: 'BAD_SIGNATURE' }));
    } finally {
      c.stop();
    }
  });

  it('a release that cannot be canonicalized is refused, not a crash', async () => {
    const events: ClientEvent[] = [];
    const c = await client(events);
    try {
      const latest = room.latest!;
      const candidate: unknown = JSON.parse(
        JSON.stringify({ ...latest, release: { ...latest.release, seq: 99, notes: 'x' } }).replace(
          '"notes":"x"',
          '"notes":"\\ud800"',
        ),
      );
      c.offerRelease(candidate);
      await new Promise((r) => setTimeout(r, 50));
      expect(events).toContainEqual(expect.objectContaining({ type: 'refused', code: 'BAD_RELEASE' }));
      expect(c.seq).toBe(latest.release.seq);
    } finally {
      c.stop();
    }
  });
});
