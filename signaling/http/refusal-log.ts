/**
 * Log lines for refusals, at most one per code and source every {@link REFUSAL_LOG_INTERVAL_MS}
 * (with the count of the ones not shown): a flood of junk requests must not become a flood of logs.
 * `/metrics` counts every one.
 */

/** Shortest time between two log lines of one code and source. */
export const REFUSAL_LOG_INTERVAL_MS = 10_000;

/** Returns a `(source, code, message, address)` logger. */
export function refusalLogger(
  log: (message: string) => void,
  now: () => number = Date.now,
): (source: string, code: string, message: string, address?: string) => void {
  const last = new Map<string, { at: number; quiet: number }>();
  return (source, code, message, address) => {
    const key = `${source}:${code}`;
    const seen = last.get(key);
    const t = now();
    if (seen && t - seen.at < REFUSAL_LOG_INTERVAL_MS) {
      seen.quiet += 1;
      return;
    }
    const more = seen && seen.quiet > 0 ? ` (+${seen.quiet} more since the last line)` : '';
    last.set(key, { at: t, quiet: 0 });
    log(`refused ${source} ${code}${address ? ` from ${address}` : ''}: ${message}${more}`);
  };
}
