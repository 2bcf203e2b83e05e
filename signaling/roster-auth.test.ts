/**
 * An honest roster, on a real relay: the roster (with addresses) only for an admin that signs the
 * relay's challenge with a key the room trusts; a player's client id bound to its secret, so another
 * connection can neither take it over after a reload nor report acks or failures in its name.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, generateSigningKey, signRosterChallenge } from '../protocol/index.ts';
import { RawConn, TestRoom, startTestServer, until, type TestServer } from './testing/helpers.ts';

const SECRET = 'victim-secret-0123456789abcdef';

describe('honest roster', () => {
  let server: TestServer;
  let room: TestRoom;

  beforeEach(async () => {
    server = await startTestServer({ hub: { rosterIntervalMs: 20 } });
    room = await TestRoom.create(server.url);
  });
  afterEach(async () => {
    await server.dispose();
  });

  it('gives an admin the roster only after it signs the challenge with a room key', async () => {
    const player = await RawConn.open(server, 'ws');
    player.hello({ clientId: 'p1', seq: 1 });
    await player.next('welcome');

    const snoop = await RawConn.open(server, 'ws');
    snoop.hello({ role: 'admin', clientId: 'snoop' });
    const welcome = await snoop.next('welcome');
    expect(welcome.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // A key the room does not trust: refused, and no roster ever comes.
    snoop.send(await signRosterChallenge(await generateSigningKey(), 'test', welcome.challenge!));
    expect((await snoop.next('error')).code).toBe(ErrorCode.NOT_AUTHORIZED);
    // One try per challenge: the right key now is too late.
    snoop.send(await signRosterChallenge(room.key, 'test', welcome.challenge!));
    expect((await snoop.next('error', (e) => e.code === ErrorCode.FORBIDDEN)).code).toBe(ErrorCode.FORBIDDEN);
    await new Promise((r) => setTimeout(r, 200));
    expect(snoop.messages.some((m) => m.type === 'roster')).toBe(false);

    // A signature over another room's challenge bytes does not pass either.
    const replay = await RawConn.open(server, 'ws');
    replay.hello({ role: 'admin', clientId: 'replay' });
    const w2 = await replay.next('welcome');
    replay.send(await signRosterChallenge(room.key, 'other', w2.challenge!));
    expect((await replay.next('error')).code).toBe(ErrorCode.NOT_AUTHORIZED);

    const admin = await RawConn.open(server, 'ws');
    await admin.adminHello(room.key);
    const roster = await admin.next('roster');
    expect(roster.clients.find((c) => c.clientId === 'p1')?.address).toBe('127.0.0.1');
    const text = await server.metrics.text();
    expect(text).toMatch(/patchcast_refusals_total\{code="NOT_AUTHORIZED",source="socket"\} 2/);
  });

  it('shows anonymous HTTP callers a count, never ids or addresses', async () => {
    const player = await RawConn.open(server, 'tcp');
    player.hello({ clientId: 'p1', seq: 1 });
    await player.next('welcome');
    const res = await fetch(`${server.url}/api/rooms/test/clients`);
    const text = await res.text();
    expect(text).not.toContain('127.0.0.1');
    expect(text).not.toContain('p1');
    expect(JSON.parse(text)).toMatchObject({ count: 1, clients: [] });
  });

  it("does not give a reloading player's client id to another connection", async () => {
    const admin = await RawConn.open(server, 'ws');
    await admin.adminHello(room.key);
    const victim = await RawConn.open(server, 'ws');
    victim.hello({ clientId: 'victim', clientSecret: SECRET, seq: 1 });
    expect((await victim.next('welcome')).clientId).toBe('victim');
    victim.close(); // the page reloads
    await until(() => !server.hub.rosterOf('test').clients.some((c) => c.clientId === 'victim'));

    for (const secret of [undefined, 'another-secret-0123456789abcdef']) {
      const thief = await RawConn.open(server, 'tcp');
      thief.hello({ clientId: 'victim', seq: 1, ...(secret ? { clientSecret: secret } : {}) });
      const got = (await thief.next('welcome')).clientId;
      expect(got).not.toBe('victim');
      // Its failure report lands on its own entry, under its own id.
      const slot = room.latest!.release.slots['logic']!;
      thief.send({
        type: 'ack',
        seq: 1,
        slot: 'logic',
        version: slot.version,
        sha256: slot.sha256,
        status: 'failed',
        error: 'forged',
      });
      // …and so does its heartbeat (acks and heartbeats name no client: only the sender's entry moves).
      thief.send({ type: 'heartbeat', traffic: { bytesFromRelay: 9, bytesFromPeers: 9, peers: 9 } });
      await until(() =>
        server.hub
          .rosterOf('test')
          .clients.some((c) => c.clientId === got && c.lastAck !== undefined && c.traffic.peers === 9),
      );
      thief.close();
    }

    const back = await RawConn.open(server, 'ws');
    back.hello({ clientId: 'victim', clientSecret: SECRET, seq: 1 });
    expect((await back.next('welcome')).clientId).toBe('victim');
    const entry = server.hub.rosterOf('test').clients.find((c) => c.clientId === 'victim')!;
    expect(entry.lastAck).toBeUndefined();
    expect(entry.slots['logic']?.status).not.toBe('failed');
    expect(entry.traffic.peers).toBe(0);
  });
});
