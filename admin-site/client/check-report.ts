/**
 * What the publish page says about a script slot's check (a dry run of its contract in the player's
 * sandbox, or a load check when the slot has none), in words an admin can act on.
 */
import { h, say } from '../lib/dom.ts';
import type { DryRunResult } from '../lib/dry-run.ts';

/** Shows `report` in a status region: passed (with its timings) or failed (with the script's error). */
export function sayCheckReport(status: HTMLElement, report: DryRunResult): void {
  if (report.ok && report.contract === 'declared') {
    say(
      status,
      'ok',
      `Dry run passed: ${report.frames} trial call(s) of the room’s declared contract (worst ${report.maxMs.toFixed(1)} ms).`,
    );
  } else if (report.ok && report.contract === 'ball') {
    say(
      status,
      'ok',
      `Dry run passed: ${report.frames} frames, ${report.meanMs.toFixed(2)} ms per frame on average (worst ${report.maxMs.toFixed(1)} ms); every ball was valid.`,
    );
  } else if (report.ok) {
    say(
      status,
      'ok',
      'No contract for this slot: load check only. The module loads in the player’s sandbox.',
    );
  } else {
    say(
      status,
      'error',
      report.frames > 0
        ? `The script failed after ${report.frames} good frames. `
        : report.contract
          ? 'The script failed to start. '
          : 'No contract for this slot: load check only. The module failed to load. ',
      h('span', { class: 'detail', 'data-testid': 'dry-error' }, report.error ?? ''),
    );
  }
}
