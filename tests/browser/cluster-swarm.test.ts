/**
 * The swarm across relay nodes, in real headless Chromium: a real Redis, three `patchcast serve
 * --redis` processes and haproxy in front of them (`signaling/testing/cluster.ts`), real WebRTC
 * between the pages over loopback (inside the loopback-only network namespace `npm test` sets up; the
 * pages use no ICE servers).
 *
 * Three player pages, each connected to a different node (`&server=`): each node suggests the
 * others' players (`signaling/cluster/swarm-share.ts`), their PeerJS offers and answers cross nodes
 * (`signaling/cluster/peer-route.ts`), and a 1 MB texture published through one node goes page to
 * page while the relays defer to the swarm together (`signaling/cluster/deferral-share.ts`) instead of
 * sending a copy each. An admin on one node sees all three.
 *
 * Then one page behind haproxy (a single address): the node its session landed on is SIGKILLed, and
 * the page reconnects through the balancer to another node and applies the next release.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { REPO_ROOT } from '../../scripts/cli-build.mjs';
import {
  startBalancer,
  startNode,
  startRedis,
  type TestBalancer,
  type TestNode,
  type TestRedis,
} from '../../signaling/testing/cluster.ts';
import { TestRoom } from '../../signaling/testing/helpers.ts';
import { adminRoster } from './helpers/relay.ts';
import {
  openPlayer,
  playerStatus,
  waitForApplied,
  waitForStatus,
  type PlayerStatus,
} from './helpers/player.ts';
import {
  launchBrowser,
  playerContext,
  randomPng,
  relayBytesSent,
  swarmInfo,
  waitForMesh,
} from './helpers/swarm.ts';

const ROOM = 'xnode';

let redis: TestRedis;
let nodes: TestNode[];
let balancer: TestBalancer;
let room: TestRoom;
let browser: Browser;
let contexts: BrowserContext[] = [];
const errors: string[][] = [];

beforeAll(async () => {
  redis = await startRedis();
  // Each node serves the built site and holds 512 KiB/s of blob egress: a copy of the texture to its
  // page is two seconds' worth, so every node is a bottleneck and defers to the swarm.
  const args = ['--static-dir', resolve(REPO_ROOT, 'dist'), '--egress-limit', '512KiB'];
  nodes = await Promise.all([0, 1, 2].map(() => startNode(redis.url, args)));
  balancer = await startBalancer(nodes);
  room = await TestRoom.create(nodes[0]!.url, ROOM);
  browser = await launchBrowser();
});

afterEach(async () => {
  for (const ctx of contexts) await ctx.close();
  contexts = [];
  errors.length = 0;
});

afterAll(async () => {
  await browser?.close();
  await balancer?.dispose();
  await Promise.all((nodes ?? []).map((n) => n.dispose()));
  await redis?.dispose();
});

/** The player page, loaded from `site` (default node 0), talking to the relay at `server`. */
function playerUrl(server: string, site = nodes[0]!.url): string {
  const query = new URLSearchParams({ room: ROOM, key: room.key.publicKey, server });
  return `${site}/play/?${query.toString()}`;
}

async function openAt(server: string, site?: string): Promise<Page> {
  const ctx = await playerContext(browser, { webrtc: true });
  contexts.push(ctx);
  const opened = await openPlayer(ctx, playerUrl(server, site));
  errors.push(opened.errors);
  return opened.page;
}

/** Publishes a new ~1 MB texture of random pixels through `url`. */
async function publishTexture(url: string, version: string) {
  const png = await randomPng(1 << 20);
  room.url = url;
  const built = await room.build({
    slots: { background: { kind: 'texture', mime: 'image/png', bytes: png, version } },
  });
  const sentAt = Date.now();
  const res = await room.publish(built);
  if (res.status !== 201) throw new Error(`publish refused (${res.status}): ${JSON.stringify(res.body)}`);
  const slot = built.signed.release.slots['background'];
  if (!slot) throw new Error('no background slot');
  return { size: png.length, sha256: slot.sha256, seq: built.signed.release.seq, sentAt };
}

/** `patchcast_cluster_peerjs_routed_total` of a node: sent to another node (out), delivered from one (in). */
async function routedMessages(node: TestNode): Promise<{ sent: number; delivered: number }> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const read = (direction: string) => {
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`patchcast_cluster_peerjs_routed_total{direction="${direction}"}`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };
  return { sent: read('out'), delivered: read('in') };
}

/** `patchcast_connections{transport="ws"}` of a node (0 when it is down). */
async function wsConnections(node: TestNode): Promise<number> {
  try {
    const text = await (await fetch(`${node.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('patchcast_connections{transport="ws"}'));
    return line ? Number(line.split(' ').at(-1)) : 0;
  } catch {
    return 0;
  }
}

const sum = (list: readonly number[]) => list.reduce((a, b) => a + b, 0);

describe('three player pages on three relay nodes', () => {
  it('link to each other across nodes and spread a texture published through another node', async () => {
    const pages: Page[] = [];
    for (const node of nodes) pages.push(await openAt(node.url));
    // Every page links to the other two: each of them on another node.
    await waitForMesh(pages, 2, 40_000);
    const infos = await Promise.all(pages.map(swarmInfo));
    for (const [i, info] of infos.entries()) {
      const others = infos.filter((_, j) => j !== i).map((o) => o.peerId);
      expect([...info.peers].sort()).toEqual([...others].sort());
    }
    // The offers and answers went through Redis to the node holding the other end, on every node.
    const routed = await Promise.all(nodes.map(routedMessages));
    for (const r of routed) {
      expect(r.sent).toBeGreaterThan(0);
      expect(r.delivered).toBeGreaterThan(0);
    }

    // An admin on node 0 sees the players of all three nodes.
    const roster = await adminRoster(nodes[0]!.url, ROOM, room.key);
    expect(roster.filter((c) => c.role === 'player')).toHaveLength(3);

    const before: PlayerStatus[] = await Promise.all(pages.map(playerStatus));
    const wsBefore = sum(await Promise.all(nodes.map((n) => relayBytesSent(n.url))));
    // Published through node 1: node 0 and node 2 hear of it through Redis.
    const texture = await publishTexture(nodes[1]!.url, 'cross-node-1mb');
    const applied = await Promise.all(pages.map((p) => waitForApplied(p, texture.seq, 40_000)));
    for (const a of applied) {
      expect(a.detail.slots['background']).toMatchObject({ status: 'applied', sha256: texture.sha256 });
    }
    const after: PlayerStatus[] = await Promise.all(pages.map(playerStatus));
    const fromRelay = after.map((s, i) => s.bytesFromRelay - before[i]!.bytesFromRelay);
    const fromPeers = after.map((s, i) => s.bytesFromPeers - before[i]!.bytesFromPeers);
    const wsDelta = sum(await Promise.all(nodes.map((n) => relayBytesSent(n.url)))) - wsBefore;
    const infosAfter = await Promise.all(pages.map(swarmInfo));
    console.log(
      'swarm across 3 nodes:',
      JSON.stringify({
        textureBytes: texture.size,
        fromRelay,
        fromPeers,
        relayRatio: Number((sum(fromRelay) / texture.size).toFixed(2)),
        relayWsBytesSent: wsDelta,
        toPeers: infosAfter.map((i) => i.bytesToPeers),
        routedMessages: routed,
        publishToAppliedMs: applied.map((a) => a.at - texture.sentAt),
      }),
    );
    for (let i = 0; i < 3; i++) expect(fromRelay[i]! + fromPeers[i]!).toBeGreaterThanOrEqual(texture.size);
    // Chunks crossed nodes: every peer of every page is on another node.
    expect(fromPeers.filter((b) => b > 0).length).toBeGreaterThanOrEqual(2);
    // Each node alone would send its page a whole copy (three in all: what this test saw before the
    // nodes shared their copies). Together they defer to the swarm across nodes: about one copy on a
    // quiet machine (1.0 seen), more where slow pages starve or let the trickle out (1.9 and 2.6 seen
    // at load averages 20–33 on two cores), so the bound is "clearly fewer than one per node".
    expect(sum(fromRelay)).toBeLessThanOrEqual(2.7 * texture.size);
    expect(wsDelta).toBeLessThanOrEqual(2.7 * (4 / 3) * texture.size + 96 * 1024);
    for (const s of after) expect(s).toMatchObject({ mode: 'peer' });
    for (const info of infosAfter) expect(info).toMatchObject({ state: 'open', badChunks: 0 });
    expect(errors.flat()).toEqual([]);
  });
});

describe('a player page behind the balancer', () => {
  it('moves to another node when its node is SIGKILLed, and applies the next release', async () => {
    // Site and relay through haproxy's one address, as a player on the internet would see them.
    const page = await openAt(balancer.url, balancer.url);
    const first = await waitForStatus(page, (s) => s.seq >= room.latest!.release.seq && s.mode !== 'offline');
    const counts = await Promise.all(nodes.map(wsConnections));
    const victim = counts.findIndex((n) => n > 0);
    expect(victim).toBeGreaterThanOrEqual(0);
    await nodes[victim]!.kill('SIGKILL');
    const killedAt = Date.now();
    try {
      // Published through the balancer too: it lands on a live node.
      const texture = await publishTexture(balancer.url, 'after-kill');
      const applied = await waitForApplied(page, texture.seq, 30_000);
      expect(applied.detail.slots['background']).toMatchObject({ status: 'applied', sha256: texture.sha256 });
      const live = await Promise.all(nodes.map(wsConnections));
      expect(live[victim]).toBe(0);
      expect(sum(live)).toBeGreaterThan(0);
      console.log(
        'page behind the balancer:',
        JSON.stringify({ firstSeq: first.seq, killed: victim, appliedAfterKillMs: applied.at - killedAt }),
      );
    } finally {
      await nodes[victim]!.start();
    }
    expect(errors.flat()).toEqual([]);
  });
});
