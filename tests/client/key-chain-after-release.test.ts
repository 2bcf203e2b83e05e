/**
 * The key chain after a release: a connected player looks at it again (`GET /api/rooms/:room/keys`)
 * to learn of a removed key by the next publishes — not beside the release's own delivery, and not
 * in the same second as every other player of the room, but at a random moment 1–5 s after it
 * (`TRUST_LOOK_AFTER_RELEASE_MS`): one look for a burst of releases, none once the player closed. A
 * release signed by another key than the one before is still looked at at once.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NodePlayer, tcpTransport } from '../../player/node/index.ts';
import { TRUST_LOOK_AFTER_RELEASE_MS } from '../../player/core/patch-client.ts';
import { fetchRotations, TRUST_REFRESH_MS } from '../../player/core/trust.ts';
import { startTestServer, TestRoom, until, type TestServer } from '../../signaling/testing/helpers.ts';

const ROOM = 'looks';
let server: TestServer | null = null;
const players: NodePlayer[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const p of players.splice(0)) p.close();
  await server?.dispose();
  server = null;
});

/** A player of the room counting its fetches of the chain (when each began, real ms). */
async function countingPlayer(room: TestRoom, s: TestServer, random: () => number) {
  const fetches: number[] = [];
  const accept = () => ({ status: 'applied' as const });
  const player = new NodePlayer({
    room: ROOM,
    publicKey: room.key.publicKey,
    server: s.url,
    connect: tcpTransport('127.0.0.1', s.tcpPort),
    handlers: { script: accept, texture: accept, config: accept },
    fps: 0,
    random,
    fetchRotations: () => {
      fetches.push(performance.now());
      return fetchRotations(s.url, ROOM);
    },
  });
  players.push(player);
  await player.start();
  await player.waitForSeq(1);
  // The look a connection makes (or skips) counts as made: step the clock past its interval, so
  // that the next release's look is due.
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + TRUST_REFRESH_MS + 1_000 });
  return { player, fetches };
}

describe('the key chain after a release', () => {
  it('is looked at once, 1–5 s after a burst of releases, not beside them', async () => {
    server = await startTestServer();
    const room = await TestRoom.create(server.url, ROOM);
    const { player, fetches } = await countingPlayer(room, server, () => 0.5);
    const before = fetches.length;
    const sent = performance.now();
    for (let i = 2; i <= 4; i++)
      await room.publishScript(`export function update(b){return b} // ${i}\n`, `1.0.${i}`);
    await player.waitForSeq(4);
    expect(fetches.length).toBe(before); // nothing beside the releases' delivery

    const { min, max } = TRUST_LOOK_AFTER_RELEASE_MS;
    await until(() => fetches.length > before, max + 2_000, 'the look at the key chain');
    const after = fetches[before]! - sent;
    // random 0.5: halfway between min and max after the first release taken
    expect(after).toBeGreaterThanOrEqual(min);
    expect(after).toBeLessThan(max + 1_000);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(fetches.length).toBe(before + 1); // one look for the burst
  });

  it('is not looked at once the player closed', async () => {
    server = await startTestServer();
    const room = await TestRoom.create(server.url, ROOM);
    const { player, fetches } = await countingPlayer(room, server, () => 0);
    const before = fetches.length;
    await room.publishScript('export function update(b){return b} // 2\n', '1.0.2');
    await player.waitForSeq(2);
    player.close();
    await new Promise((r) => setTimeout(r, TRUST_LOOK_AFTER_RELEASE_MS.min + 700));
    expect(fetches.length).toBe(before);
  });
});
