/**
 * What the kernel's TCP did during a run, from Linux's counters in /proc/net/netstat (`TcpExt`):
 *
 * - `TCPMemoryPressures`: entries into TCP memory pressure — all sockets' buffers together passed
 *   `net.ipv4.tcp_mem`'s middle value, and the kernel holds socket buffers down until they fall
 *   back under it. 500 seed clients handed 6.7 MB each at once got there (the mark is 1.5 GB here),
 *   and the readers' kernel time doubled (docs/server.md, "Fourteenth round").
 * - `TCPToZeroWindowAdv`: a receiver's buffer full, its window advertised as zero: the sender waits
 *   and probes. A socket handed its whole blob in one burst does it (docs/server.md, "Fifteenth
 *   round").
 * - `TCPLossProbes`: tail loss probes, sent when an ACK is late — on loopback, a receiver that fell
 *   behind; their retransmissions are copies the receiving side pays for too.
 *
 * Counted machine-wide: the benchmark runs one thing at a time, so a run's counts are its own.
 */
import { readFileSync } from 'node:fs';

/** The counters a run reports. */
export interface TcpCounters {
  readonly pressures: number;
  readonly zeroWindows: number;
  readonly lossProbes: number;
}

const NAMES = {
  pressures: 'TCPMemoryPressures',
  zeroWindows: 'TCPToZeroWindowAdv',
  lossProbes: 'TCPLossProbes',
} as const;

/** The counters now, or null where /proc/net/netstat is not there (not Linux) or lacks one. */
export function tcpCounters(): TcpCounters | null {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    for (let at = 0; at + 1 < lines.length; at += 2) {
      const names = lines[at]!.split(' ');
      if (names[0] !== 'TcpExt:') continue;
      const values = lines[at + 1]!.split(' ');
      const read = (name: string): number => {
        const column = names.indexOf(name);
        return column > 0 ? Number(values[column]) : NaN;
      };
      const counters = {
        pressures: read(NAMES.pressures),
        zeroWindows: read(NAMES.zeroWindows),
        lossProbes: read(NAMES.lossProbes),
      };
      return Object.values(counters).every(Number.isFinite) ? counters : null;
    }
  } catch {
    // Not Linux.
  }
  return null;
}

/** The counts since a {@link tcpCounters} reading (null if either is unknown). */
export function tcpCountersSince(before: TcpCounters | null): TcpCounters | null {
  const now = tcpCounters();
  if (before === null || now === null) return null;
  return {
    pressures: now.pressures - before.pressures,
    zeroWindows: now.zeroWindows - before.zeroWindows,
    lossProbes: now.lossProbes - before.lossProbes,
  };
}
