/**
 * The history page: every release of the room with what it changed, and one-click rollback (with a
 * confirmation) to any earlier release.
 */
import { changedSlots, type SignedRelease } from '../../protocol/release.ts';
import { basePath, loadContext, type AdminContext } from '../lib/context.ts';
import { byId, h, replaceChildren, say } from '../lib/dom.ts';
import { rollbackToSeq } from '../lib/publish-plan.ts';
import { RelayApi } from '../../publisher/relay-api.ts';
import { browserTrust, signerOf } from '../lib/signer.ts';
import { describeError } from '../lib/refusals.ts';
import { formatBytes } from '../lib/texture.ts';
import { adoptionOf } from '../../publisher/guarded.ts';
import { adoptionBlock } from '../lib/adoption-view.ts';

const gate = byId('gate', HTMLElement);
const status = byId('history-status', HTMLElement);
const body = byId('history', HTMLElement);
const empty = byId('history-empty', HTMLElement);
const dialog = byId('confirm', HTMLDialogElement);
const confirmBody = byId('confirm-body', HTMLElement);

let ctx: AdminContext = { relay: location.origin, room: null, key: null };

/** Asks for confirmation in the dialog; resolves true on "Roll back". */
function confirmRollback(target: SignedRelease, latest: SignedRelease): Promise<boolean> {
  const t = target.release;
  replaceChildren(
    confirmBody,
    h(
      'p',
      {},
      `Room “${t.room}” will get a new release, seq ${latest.release.seq + 1}, with the files of `,
      h('strong', {}, `${t.version} (seq ${t.seq})`),
      ':',
    ),
    h(
      'ul',
      {},
      ...Object.entries(t.slots).map(([name, s]) =>
        h('li', {}, h('b', {}, name), ` ${s.version} · ${formatBytes(s.size)}`),
      ),
    ),
    h(
      'p',
      { class: 'hint' },
      `Every player moves back from ${latest.release.version} (seq ${latest.release.seq}).`,
    ),
  );
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

async function rollback(target: SignedRelease): Promise<void> {
  const { room, key } = ctx;
  if (!room || !key) return;
  try {
    // The publisher checks that both the live release (the highest seq) and the target are signed by
    // a key this browser trusts — it signs the target's slots and takes the live seq with this key,
    // so otherwise the relay could choose what gets signed — then asks for confirmation.
    const outcome = await rollbackToSeq({ relay: ctx.relay, room, key }, target.release.seq, {
      confirm: confirmRollback,
      onStep: (step) => {
        if (step === 'sign') say(status, 'info', 'Signing the rollback in this browser…');
      },
    });
    if (!outcome) return;
    say(
      status,
      'ok',
      `Rolled back to ${outcome.target.release.version}: published as seq `,
      h('strong', { 'data-testid': 'rollback-seq' }, String(outcome.published.seq)),
      '. ',
      h('a', { href: `${basePath()}dashboard/` }, 'Watch players move back'),
      '.',
    );
    await show();
  } catch (error) {
    const d = describeError(error);
    say(
      status,
      'error',
      h('strong', {}, 'Rollback not published. '),
      d.words,
      h('span', { class: 'detail' }, `${d.code}: ${d.detail}`),
    );
  }
}

async function show(): Promise<void> {
  if (!ctx.room) return;
  const api = new RelayApi(ctx.relay);
  const [list, counts] = await Promise.all([
    api.history(ctx.room),
    adoptionOf(api, ctx.room).catch(() => []),
  ]);
  const countsOf = new Map(counts.map((a) => [a.seq, a]));
  const trusted = await browserTrust(ctx.relay, ctx.room, ctx.key);
  empty.hidden = list.length > 0;
  const rows: HTMLElement[] = [];
  for (const [i, signed] of list.entries()) {
    const r = signed.release;
    const older = list[i + 1]?.release ?? null;
    const changed = changedSlots(older, r);
    const signer = await signerOf(signed, ctx.key?.publicKey ?? null, trusted);
    const button = h(
      'button',
      {
        type: 'button',
        'data-seq': r.seq,
        disabled: i === 0 || !ctx.key,
        title: i === 0 ? 'This is the live release' : !ctx.key ? 'No key in this browser' : undefined,
      },
      i === 0 ? 'Live' : 'Roll back to this',
    );
    button.addEventListener('click', () => void rollback(signed));
    rows.push(
      h(
        'tr',
        { 'data-seq': r.seq },
        h('td', { class: 'num' }, String(r.seq)),
        h('td', {}, h('strong', {}, r.version)),
        h('td', { title: r.createdAt }, new Date(r.createdAt).toLocaleString()),
        h(
          'td',
          {},
          changed.length === 0
            ? h('span', { class: 'empty' }, older ? 'none (same files)' : '—')
            : h(
                'ul',
                { class: 'plain' },
                ...changed.map((name) => {
                  const s = r.slots[name];
                  return h(
                    'li',
                    {},
                    h('b', {}, name),
                    s
                      ? ` ${s.version} · ${formatBytes(s.size)}${s.rollout ? ` · ${s.rollout.percent}%` : ''}`
                      : ' removed',
                  );
                }),
              ),
        ),
        h('td', {}, r.notes ?? ''),
        h('td', { 'data-testid': 'adoption' }, adoptionBlock(countsOf.get(r.seq))),
        h(
          'td',
          {},
          signer.kind === 'mine'
            ? h('span', { class: 'badge ok' }, 'your key')
            : h(
                'span',
                { class: signer.kind === 'room-key' ? 'badge' : 'badge warn', title: `key ${r.keyId}` },
                `${signer.kind === 'room-key' ? 'room key' : 'unchecked key'} ${r.keyId.slice(0, 8)}…`,
              ),
        ),
        h('td', {}, button),
      ),
    );
  }
  replaceChildren(body, ...rows);
}

async function start(): Promise<void> {
  ctx = await loadContext();
  if (!ctx.room) {
    say(gate, 'warn', 'Choose a room first on ', h('a', { href: basePath() }, 'Room & keys'), '.');
    return;
  }
  if (!ctx.key) {
    say(
      gate,
      'warn',
      `No key for room “${ctx.room}” in this browser: you can look, but rolling back needs the room’s key.`,
    );
  }
  await show();
}

start().catch((error: unknown) => {
  const d = describeError(error);
  say(status, 'error', d.words, h('span', { class: 'detail' }, d.detail));
});
