/**
 * A swarm that can't be starved, at scale: 1,000 players on the virtual network (the production
 * `Swarm` and the relay's deferral policy, virtual time), a third of them liars that claim every chunk
 * of the patch and answer every request with `peer.none`, with silence, or with bad bytes, and keep
 * dialling honest players. Every honest player must apply the 1 MiB patch within 2× the time the same
 * honest players take without the liars.
 */
import { describe, expect, it } from 'vitest';
import { simulate, type SimParams } from './simulate.ts';

const HONEST = 667;
const LIARS = 333;

describe('a third of 1,000 players lying', () => {
  it('every honest player applies 1 MiB within 2× the honest-only time', { timeout: 180_000 }, async () => {
    const base: SimParams = { peers: HONEST, blobBytes: 1 << 20, leaveFraction: 0, seed: 12 };
    const honest = await simulate(base);
    expect(honest.completed).toBe(HONEST);
    // Virtual time is bounded too: a run that can't make 2× stops soon after instead of playing on.
    const attacked = await simulate({ ...base, liars: LIARS, limitMs: 3 * honest.maxMs });
    const row = (r: typeof honest) =>
      `${r.completed}/${r.stayed} applied, p50 ${Math.round(r.p50Ms)} ms, max ${Math.round(r.maxMs)} ms, ` +
      `relay ${(r.relayBytes / (1 << 20)).toFixed(2)} MiB, dropped ${r.peersDropped}, wall ${Math.round(r.wallMs)} ms`;
    console.log(`honest only: ${row(honest)}\nwith ${LIARS} liars: ${row(attacked)}`);
    expect(attacked.completed).toBe(HONEST);
    expect(attacked.maxMs).toBeLessThanOrEqual(2 * honest.maxMs);
    // The liars were asked, caught and dropped (not merely outlasted).
    expect(attacked.liarRequests).toBeGreaterThan(0);
    expect(attacked.peersDropped).toBeGreaterThanOrEqual(HONEST);
  });
});
