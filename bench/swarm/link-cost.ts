/**
 * `npm run bench -- swarm/link-cost`: what libdatachannel (node-datachannel, the Node player's WebRTC)
 * costs per MB between two peers in one process, and what each small text message beside the bytes
 * adds — the floor under the swarm benchmark's CPU per peer byte (docs/swarm.md#benchmark, eighth
 * round). `--pairs` pairs on loopback each send `--mb` MB in 64 KiB messages (the swarm's chunk frame),
 * with `--small` have-sized text messages after each, at SCTP packets of `--mtu` bytes, with the
 * swarm's backpressure (send while under 1 MiB buffered, resume at 256 KiB). Prints CPU ms per MB,
 * both ends together, by thread. Runs in a loopback-only network namespace when it can.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpuUsage } from 'node:process';
import { cleanup, PeerConnection, type DataChannel } from 'node-datachannel';
import { reexecIsolated } from './main.ts';

const CHUNK_FRAME_BYTES = 38 + 64 * 1024;
const HIGH_WATER = 1 << 20;
const LOW_WATER = 256 * 1024;
const HAVE = JSON.stringify({ type: 'peer.have', sha256: 'ab'.repeat(32), index: 12 });

/** CPU ms by thread name of this process (`main`: the event loop). */
function threadMs(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const name =
      tid === String(process.pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10);
  }
  return out;
}

async function linkedPair(
  i: number,
  mtu: number,
): Promise<{ tx: DataChannel; rx: DataChannel; close: () => void }> {
  const config = { iceServers: [], bindAddress: '127.0.0.1', mtu };
  const a = new PeerConnection(`a${i}`, config);
  const b = new PeerConnection(`b${i}`, config);
  a.onLocalDescription((sdp, type) => b.setRemoteDescription(sdp, type));
  a.onLocalCandidate((c, mid) => b.addRemoteCandidate(c, mid));
  b.onLocalDescription((sdp, type) => a.setRemoteDescription(sdp, type));
  b.onLocalCandidate((c, mid) => a.addRemoteCandidate(c, mid));
  const incoming = new Promise<DataChannel>((resolve) => b.onDataChannel(resolve));
  const tx = a.createDataChannel('bench');
  await new Promise<void>((resolve) => tx.onOpen(() => resolve()));
  const rx = await incoming;
  return { tx, rx, close: () => (tx.close(), a.close(), b.close()) };
}

function option(argv: readonly string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name}: not a number`);
  return value;
}

export async function main(argv: readonly string[]): Promise<number> {
  const isolated = reexecIsolated(argv, 'swarm/link-cost');
  if (isolated !== null) return isolated;
  const pairs = option(argv, 'pairs', 8);
  const messages = Math.round(option(argv, 'mb', 30) * 16);
  const small = option(argv, 'small', 0);
  const mtu = option(argv, 'mtu', 4096);
  const links = await Promise.all(Array.from({ length: pairs }, (_, i) => linkedPair(i, mtu)));
  const frame = new Uint8Array(CHUNK_FRAME_BYTES).fill(1);
  const threads = threadMs();
  const cpu = cpuUsage();
  const started = performance.now();
  await Promise.all(
    links.map(
      ({ tx, rx }) =>
        new Promise<void>((done) => {
          let sent = 0;
          let received = 0;
          rx.onMessage((m: string | Buffer | ArrayBuffer) => {
            if (typeof m !== 'string' && ++received === messages) done();
          });
          tx.setBufferedAmountLowThreshold(LOW_WATER);
          const pump = () => {
            for (; sent < messages && tx.bufferedAmount() < HIGH_WATER; sent++) {
              tx.sendMessageBinary(frame);
              for (let k = 0; k < small; k++) tx.sendMessage(HAVE);
            }
          };
          tx.onBufferedAmountLow(pump);
          pump();
        }),
    ),
  );
  const wallMs = performance.now() - started;
  const spent = cpuUsage(cpu);
  const mb = (pairs * messages * CHUNK_FRAME_BYTES) / 1e6;
  const end = threadMs();
  const byThread = [...end]
    .map(([name, ms]) => [name, ms - (threads.get(name) ?? 0)] as const)
    .filter(([, ms]) => ms > 0)
    .map(([name, ms]) => `${name} ${(ms / mb).toFixed(1)}`)
    .join(', ');
  console.log(
    `${pairs} pairs, MTU ${mtu}, ${small} small messages per chunk: ${mb.toFixed(0)} MB in ${wallMs.toFixed(0)} ms, ` +
      `CPU ${((spent.user + spent.system) / 1000 / mb).toFixed(1)} ms per MB (${byThread})`,
  );
  for (const link of links) link.close();
  cleanup();
  return 0;
}
