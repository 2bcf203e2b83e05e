/**
 * Headless players outside a staged rollout download nothing of that slot: 20 `patchcast play`
 * players (the Node adapter's `NodePlayer`, as the CLI builds it, in this process) and a 1 MB texture
 * at rollout 10 %. The relay's egress, read from its own `/metrics`, is about (exposed players) ×
 * 1 MB (base64 on the wire), not 20 MB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRelease } from '../../publisher/build.ts';
import { generateSigningKey } from '../../protocol/crypto.ts';
import { NodePlayer, tcpTransport } from '../../player/node/index.ts';
import { startTestServer, type TestServer } from '../../signaling/testing/helpers.ts';
import { png, publish, release, ROOM, theme } from './helpers/suite.ts';

let relay: TestServer;
const players: NodePlayer[] = [];

beforeAll(async () => {
  relay = await startTestServer();
});

afterAll(async () => {
  for (const p of players) p.close();
  await relay.dispose();
});

/** `patchcast_bytes_sent_total` over every transport, from the relay's `/metrics`. */
async function relayBytesSent(): Promise<number> {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  return [...text.matchAll(/^patchcast_bytes_sent_total\{[^}]*\} (\d+(?:\.\d+)?(?:e\+\d+)?)$/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
}

describe('a staged rollout and 20 headless players', () => {
  it('the relay sends the texture to the exposed players only', async () => {
    const key = await generateSigningKey();
    const r1 = await release(key, null, { theme: theme('#101010', '1') });
    await publish(relay, r1, key.publicKey);
    for (let i = 0; i < 20; i++) {
      players.push(
        new NodePlayer({
          room: ROOM,
          publicKey: key.publicKey,
          server: relay.url,
          connect: tcpTransport(relay.host, relay.tcpPort),
          clientId: `play-${i}`,
        }),
      );
    }
    await Promise.all(players.map((p) => p.start()));
    await Promise.all(players.map((p) => p.waitForSeq(1)));

    const bytes = await png(1 << 20, 42);
    // In the default 64 KiB chunks, as publishers make them.
    const r2 = await buildRelease({
      room: ROOM,
      key,
      previous: r1.signed.release,
      slots: { background: { kind: 'texture', mime: 'image/png', bytes, version: '2', rolloutPercent: 10 } },
    });
    const before = await relayBytesSent();
    await publish(relay, r2, key.publicKey);
    await Promise.all(players.map((p) => p.waitForSeq(2, 20_000)));
    const sent = (await relayBytesSent()) - before;

    const sha = r2.signed.release.slots['background']!.sha256;
    const exposed: NodePlayer[] = [];
    for (const p of players) {
      const takes = (await p.client.rolloutDecisions(r2.signed.release))['background'];
      expect(p.client.status().slots['background']?.sha256 === sha).toBe(takes);
      if (takes) exposed.push(p);
    }
    expect(exposed.length).toBeGreaterThan(0);
    expect(exposed.length).toBeLessThan(8);
    // Each exposed player's copy, base64 in JSON (4/3), plus the release message to all 20.
    expect(sent).toBeGreaterThan(exposed.length * bytes.length);
    expect(sent).toBeLessThan(exposed.length * bytes.length * 1.4 + 20 * 8_192);
    expect(sent).toBeLessThan(20 * bytes.length * 0.5);
    // The others fetched nothing of it, and said so.
    for (const p of players.filter((x) => !exposed.includes(x)))
      expect(p.client.status().bytesFromRelay).toBeLessThan(1_000);
    console.log(
      `rollout 10 %: ${exposed.length} of 20 players exposed; relay sent ${(sent / 1e6).toFixed(2)} MB`,
    );
  });
});
