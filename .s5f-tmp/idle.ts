// Idle cost of N swarm players vs N relay-only players on a relay without a limit: CPU of this
// process (relay + players) over 10 s after settling, and PeerJS sockets at the relay.
import { NodePlayer, tcpTransport } from '../player/node/index.ts';
import { startTestServer, TestRoom } from '../signaling/testing/helpers.ts';
const n = Number(process.argv[2] ?? 30);
const swarm = process.argv[3] === 'swarm';
const server = await startTestServer();
const room = await TestRoom.create(server.url, 'idle');
const accept = () => ({ status: 'applied' as const });
const players = Array.from({ length: n }, (_, i) => new NodePlayer({
  room: 'idle', publicKey: room.key.publicKey, server: server.url,
  connect: tcpTransport('127.0.0.1', server.tcpPort), clientId: `p-${i}`,
  handlers: { script: accept, texture: accept, config: accept }, fps: 0,
  ...(swarm ? { p2p: {} } : {}),
}));
const c0 = process.cpuUsage();
await Promise.all(players.map((p) => p.start()));
await Promise.all(players.map((p) => p.waitForSeq(1)));
await Promise.all(players.map((p) => (p.swarm as { settled?: () => Promise<void> } | null)?.settled?.()));
const join = process.cpuUsage(c0);
await new Promise((r) => setTimeout(r, 2000));
const c1 = process.cpuUsage();
await new Promise((r) => setTimeout(r, 10_000));
const idle = process.cpuUsage(c1);
const ms = (u: NodeJS.CpuUsage) => ((u.user + u.system) / 1000).toFixed(0);
const sockets = (await server.metrics.peerjsSocketsTotal?.get())?.values[0]?.value ?? 'n/a';
console.log(`${swarm ? 'swarm' : 'relay-only'} N=${n}: join CPU ${ms(join)} ms, idle 10 s CPU ${ms(idle)} ms, peerjs sockets ${sockets}, states ${[...new Set(players.map((p) => p.swarm?.info().state))]}`);
for (const p of players) p.close();
await server.dispose();
process.exit(0);
