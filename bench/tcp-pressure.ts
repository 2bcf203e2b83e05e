/**
 * How often the kernel entered TCP memory pressure (Linux's `TCPMemoryPressures` counter in
 * /proc/net/netstat): all sockets' buffers together passed `net.ipv4.tcp_mem`'s middle value, and
 * the kernel holds socket buffers down until they fall back under it. A fan-out that hands hundreds
 * of sockets megabytes each at once gets there (500 seed clients handed 6.7 MB each did, on a machine
 * whose mark is 1.5 GB), and the readers' kernel time doubled: the benchmark counts it per run, since
 * it changes what a run measures (docs/server.md, "Fourteenth round").
 */
import { readFileSync } from 'node:fs';

/** The counter now, or null where /proc/net/netstat is not there (not Linux) or lacks it. */
export function tcpMemoryPressures(): number | null {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    for (let at = 0; at + 1 < lines.length; at += 2) {
      const names = lines[at]!.split(' ');
      if (names[0] !== 'TcpExt:') continue;
      const column = names.indexOf('TCPMemoryPressures');
      const value = Number(lines[at + 1]!.split(' ')[column]);
      return column > 0 && Number.isFinite(value) ? value : null;
    }
  } catch {
    // Not Linux.
  }
  return null;
}

/** Entries into pressure since a {@link tcpMemoryPressures} reading (null if either is unknown). */
export function pressuresSince(before: number | null): number | null {
  const now = tcpMemoryPressures();
  return before === null || now === null ? null : now - before;
}
