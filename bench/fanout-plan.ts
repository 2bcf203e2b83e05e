/**
 * The order of the fan-out benchmark's runs. On a shared two-core machine a bare server's own time
 * drifts by a factor of two within minutes (other processes, the page cache, the readers' GC), so a
 * relay run is compared with bare runs **immediately around it**, never with the round's best:
 *
 *   round 0 (warm-up, reported apart, never in a ratio): every bare mode, every relay run
 *   round r, per protocol:  B  R₁  B  R₂  B …   (B: the bare block, R: one relay run)
 *
 * Each relay run's baseline is the mean of the bare block before it and the one after it (ABA); the
 * relay runs' order is rotated round by round so no variant always runs first after a bare block,
 * and the bare block's modes alternate their order too.
 */
import type { BaselineMode } from './fanout-baseline.ts';
import type { Proto } from './fanout-payloads.ts';
import type { Variant } from './fanout-runs.ts';

/** One relay configuration of the matrix. */
export interface RelayConfig {
  readonly proto: Proto;
  readonly variant: Variant;
  /** Write slots of the relay's scheduler, when several are compared. */
  readonly active?: number;
  /** A relay kept across runs (`--relay warm`, `fanout-relays.ts`) rather than one started per run. */
  readonly warm?: boolean;
}

/** One step of a round. */
export type Step =
  | { readonly kind: 'bare'; readonly proto: Proto; readonly mode: BaselineMode }
  | { readonly kind: 'relay'; readonly config: RelayConfig };

/** Rotates `xs` left by `by`. */
function rotate<T>(xs: readonly T[], by: number): T[] {
  if (xs.length === 0) return [];
  const k = ((by % xs.length) + xs.length) % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

/** The warm-up round: every bare mode and every relay configuration once, per protocol. */
export function warmupSteps(
  protos: readonly Proto[],
  modes: readonly BaselineMode[],
  configs: readonly RelayConfig[],
): Step[] {
  return protos.flatMap((proto) => [
    ...modes.map((mode): Step => ({ kind: 'bare', proto, mode })),
    ...configs.filter((c) => c.proto === proto).map((config): Step => ({ kind: 'relay', config })),
  ]);
}

/**
 * A measured round (`round` ≥ 1): per protocol, a bare block, then each relay run followed by a
 * bare block. `modes` are the bare modes each block runs (one, once the warm-up picked the best).
 */
export function roundSteps(
  round: number,
  protos: readonly Proto[],
  modes: readonly BaselineMode[],
  configs: readonly RelayConfig[],
): Step[] {
  const steps: Step[] = [];
  for (const proto of protos) {
    let block = 0;
    const bare = () => rotate(modes, round + block++).map((mode): Step => ({ kind: 'bare', proto, mode }));
    const mine = configs.filter((c) => c.proto === proto);
    if (mine.length === 0) continue;
    steps.push(...bare());
    for (const config of rotate(mine, round - 1)) steps.push({ kind: 'relay', config }, ...bare());
  }
  return steps;
}
