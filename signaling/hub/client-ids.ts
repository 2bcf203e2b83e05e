/**
 * Client ids bound to secrets. A player says a random secret with its client id in `hello`; the relay
 * keeps the secret's SHA-256 for that room and id, and gives that id to a later hello only if it says
 * the same secret. Anyone else asking for it (a reloading player's id, said by another connection) gets
 * a fresh id instead, so nobody can take over another player's roster entry, acks or failure reports.
 */
import { createHash } from 'node:crypto';
import { uniqueClientId } from './roster.ts';

/** Most client ids kept bound (the least recently said is forgotten first). */
export const MAX_BOUND_CLIENT_IDS = 100_000;

const keyOf = (room: string, clientId: string) => `${room}\n${clientId}`;
const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** The bindings of one hub. */
export class ClientIds {
  private readonly bound = new Map<string, string>();

  constructor(private readonly max = MAX_BOUND_CLIENT_IDS) {}

  /**
   * The id a hello gets: the requested one if no live connection has it and it is unbound or bound
   * to this secret; else a fresh one (`id-2`, …). With a secret, the id given is bound to it.
   */
  claim(room: string, requested: string, secret: string | undefined, live: (id: string) => boolean): string {
    const hash = secret === undefined ? undefined : hashOf(secret);
    const mine = (id: string) => {
      const bound = this.bound.get(keyOf(room, id));
      return bound === undefined || bound === hash;
    };
    const id = uniqueClientId(requested, (id) => live(id) || !mine(id));
    if (hash !== undefined) {
      const key = keyOf(room, id);
      this.bound.delete(key);
      this.bound.set(key, hash);
      for (const oldest of this.bound.keys()) {
        if (this.bound.size <= this.max) break;
        this.bound.delete(oldest);
      }
    }
    return id;
  }
}
