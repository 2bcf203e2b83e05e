/**
 * What N headless players cost a relay without an egress limit besides patches: the relay and the
 * players in this one process, the CPU to join and settle, then over 10 s idle, and the PeerJS
 * sockets the relay admitted — swarm players (links on demand) or relay-only ones:
 *
 *   unshare -n sh -c 'ip link set lo up && node --import tsx bench/swarm/idle-cost.ts 30 swarm'
 *   unshare -n sh -c 'ip link set lo up && node --import tsx bench/swarm/idle-cost.ts 30 relay'
 *
 * (docs/swarm.md, "No PeerJS until links are wanted"). Run each mode a few times, alternating.
 */
import { loadavg } from 'node:os';
import { NodePlayer, tcpTransport } from '../../player/node/index.ts';
import { startTestServer, TestRoom } from '../../signaling/testing/helpers.ts';

const n = Number(process.argv[2] ?? 30);
const swarm = process.argv[3] === 'swarm';
const server = await startTestServer();
const room = await TestRoom.create(server.url, 'idle');
const accept = () => ({ status: 'applied' as const });
const players = Array.from(
  { length: n },
  (_, i) =>
    new NodePlayer({
      room: 'idle',
      publicKey: room.key.publicKey,
      server: server.url,
      connect: tcpTransport('127.0.0.1', server.tcpPort),
      clientId: `p-${i}`,
      handlers: { script: accept, texture: accept, config: accept },
      fps: 0,
      ...(swarm ? { p2p: {} } : {}),
    }),
);
const joining = process.cpuUsage();
await Promise.all(players.map((p) => p.start()));
await Promise.all(players.map((p) => p.waitForSeq(1)));
await Promise.all(players.map((p) => p.swarm?.settled()));
const join = process.cpuUsage(joining);
await new Promise((r) => setTimeout(r, 2000));
const idling = process.cpuUsage();
await new Promise((r) => setTimeout(r, 10_000));
const idle = process.cpuUsage(idling);
const ms = (u: NodeJS.CpuUsage) => ((u.user + u.system) / 1000).toFixed(0);
const sockets = (await server.metrics.peerjsSocketsTotal.get()).values[0]?.value ?? 0;
const states = [...new Set(players.map((p) => p.swarm?.info().state ?? 'no swarm'))].join(', ');
console.log(
  `${swarm ? 'swarm' : 'relay-only'} N=${n}: join CPU ${ms(join)} ms, idle 10 s CPU ${ms(idle)} ms, ` +
    `PeerJS sockets ${sockets}, swarm ${states}, load ${loadavg()[0]!.toFixed(1)}`,
);
for (const p of players) p.close();
await server.dispose();
process.exit(0); // the PeerJS server keeps the process alive after close
