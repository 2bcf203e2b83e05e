/**
 * The relay as the swarm's chunk source, with a deadline (`PlayerSwarm`'s; see the class comment).
 */
import type { RelayAnswer, RelaySource } from '../core/transport.ts';

/**
 * The relay as the swarm's chunk source, with a deadline. The swarm asks nobody else for a chunk it
 * asked the relay for; a relay that is slow to answer (congested, or answering a request it can't
 * serve with an error that names no chunk) would hold the chunk back from peers that have it. After
 * `timeoutMs` the swarm hears "error" and may ask a peer; the request itself stays open, and asking
 * the relay again for that chunk waits for it rather than sending another.
 */
export class PatientRelay implements RelaySource {
  private readonly pending = new Map<string, Promise<RelayAnswer>>();

  constructor(
    private readonly relay: RelaySource,
    private readonly timeoutMs: number,
  ) {}

  starved(starved: boolean): void {
    this.relay.starved?.(starved);
  }

  async getChunk(sha256: string, index: number, mayDefer: boolean): Promise<RelayAnswer> {
    const key = `${sha256}:${index}`;
    let asked = this.pending.get(key);
    if (!asked) {
      asked = this.relay.getChunk(sha256, index, mayDefer).finally(() => this.pending.delete(key));
      this.pending.set(key, asked);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<RelayAnswer>((resolve) => {
      timer = setTimeout(
        () => resolve({ kind: 'error', message: 'the relay is slow to answer' }),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([asked, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
