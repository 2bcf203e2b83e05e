/**
 * The Dashboard's guarded-rollout panel: the room's current (or last) plan — its step, percent, the
 * exposed players' failures against the threshold, why it ended — and, while it runs, Halt and
 * Advance buttons that sign their command with this browser's room key.
 */
import { PlanStatus, type PlanAction, type PlanState } from '../../protocol/plan.ts';
import { commandPlan, describePlan } from '../../publisher/guarded.ts';
import type { PublisherContext } from '../../publisher/publisher.ts';
import { h, replaceChildren, say } from './dom.ts';
import { describeError } from './refusals.ts';

/** Draws `plan` into `host`; `ctx` (null: no key here) signs the commands. */
export function drawPlan(
  host: HTMLElement,
  plan: PlanState | null,
  ctx: PublisherContext | null,
  onChanged: (state: PlanState) => void,
): void {
  if (!plan) {
    replaceChildren(host, h('p', { class: 'empty' }, 'No guarded rollout in this room yet.'));
    return;
  }
  const kind = plan.status === PlanStatus.halted ? 'error' : plan.status === PlanStatus.done ? 'ok' : 'warn';
  const steps = h(
    'ol',
    { class: 'plan-steps' },
    ...plan.steps.map((s, i) =>
      h(
        'li',
        { class: i <= plan.step ? 'done' : '', 'data-step': i },
        `${s.percent}% (seq ${s.seq})`,
        s.publishedAt ? ` · ${new Date(s.publishedAt).toLocaleTimeString()}` : '',
      ),
    ),
  );
  const status = h('p', { role: 'status' });
  const button = (action: PlanAction, label: string) => {
    const b = h('button', { type: 'button', 'data-action': action, disabled: !ctx }, label);
    b.addEventListener('click', () => {
      if (!ctx) return;
      b.disabled = true;
      say(status, 'info', 'Signing the command in this browser…');
      commandPlan(ctx, plan, action)
        .then((state) => onChanged(state))
        .catch((error: unknown) => {
          const d = describeError(error);
          say(status, 'error', d.words, h('span', { class: 'detail' }, `${d.code}: ${d.detail}`));
          b.disabled = false;
        });
    });
    return b;
  };
  replaceChildren(
    host,
    h(
      'p',
      {},
      h('span', { class: `badge ${kind}`, 'data-testid': 'plan-status' }, plan.status),
      ' ',
      h('span', { 'data-testid': 'plan-line' }, describePlan(plan)),
    ),
    steps,
    plan.status === PlanStatus.running
      ? h(
          'p',
          {},
          button('halt', 'Halt now'),
          ' ',
          button('advance', 'Advance now'),
          ctx ? null : h('span', { class: 'hint' }, ' (needs this room’s key in this browser)'),
        )
      : null,
    status,
  );
}
