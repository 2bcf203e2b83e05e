/**
 * The demo room's admin link as `patchcast serve` prints it (`  admin (demo key) <url>`), read from a
 * relay process's output.
 */
import type { RelayProcess } from './relay.ts';

const LINE = /^ {2}admin \(demo key\) (\S+)$/m;

/** The printed link; waits a little, since the output may trail the relay's first HTTP answer. */
export async function printedAdminLink(relay: RelayProcess, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = LINE.exec(relay.log())?.[1];
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`serve printed no admin link:\n${relay.log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
