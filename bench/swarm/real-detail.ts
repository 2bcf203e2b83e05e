/**
 * The swarm benchmark's detail table: where each real run's relay bytes, messages, waits and CPU went.
 * Read beside the main table when a swarm run is slower than it should be: relay chunks by why they
 * were served (`DeferralPolicy.counts`), peer messages per peer chunk, requests that failed, the time
 * downloads sat with chunks missing and nothing asked, and the CPU of every thread (the relay's
 * process, then each players' process: `main` is the event loop, `node` V8's collector and compiler
 * threads, `RTC worker` / `juice poll` / `SCTP timer` libdatachannel's DTLS, UDP and SCTP threads).
 */
import type { RealRow } from './real.ts';

const rate = (limit: number | null): string =>
  limit === null ? 'none' : `${Math.round((limit * 8) / 1e6)} Mbit/s`;

/** Prints one line per run (swarm and relay-only alike). */
export function printRealDetail(rows: readonly RealRow[]): void {
  console.log(
    '\nWhere the runs went: relay chunks served (first copies to the swarm / trickle / while it had room / to starved players / to players without peers) and deferred; peer chunks; messages on data channels per peer chunk; peer requests timed out / refused; links dropped; time a download sat with chunks missing and nothing asked (mean per player); CPU by thread\n',
  );
  console.log(
    '| run | relay limit | N | mode | relay chunks: first / trickle / room / starved / alone | deferred | peer chunks | messages per peer chunk (sent, received) | timed out / refused | links dropped | idle per player | CPU by thread |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const { served: s, swarm: c } = r;
    const chunks = Math.max(1, c.chunksFromPeers);
    const perChunk =
      c.chunksFromPeers > 0
        ? `${(c.messagesToPeers / chunks).toFixed(1)}, ${(c.messagesFromPeers / chunks).toFixed(1)}`
        : '—';
    console.log(
      `| ${r.run} | ${rate(r.limit)} | ${r.n} | ${r.mode} | ${s.first} / ${s.trickle} / ${s.room} / ${s.starved} / ${s.alone} | ${s.deferred} | ` +
        `${c.chunksFromPeers} | ${perChunk} | ${c.peerTimeouts} / ${c.peerRefusals} | ${c.peersDropped} | ` +
        `${(c.idleMs / r.n / 1000).toFixed(2)} s | ${r.threads.join('; ')} |`,
    );
  }
}
