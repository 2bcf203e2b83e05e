/**
 * The publish page, built from the room's live release: every slot it holds is listed with its kind
 * and can be replaced (scripts checked in the player's sandbox first, textures checked to decode,
 * configs checked as JSON) or removed, and slots can be added; then the release is built and signed
 * in this browser and sent to the relay through the one publisher. The slot model is
 * `../lib/slot-board.ts`; the cards are `slot-cards.ts`.
 */
import { fromUtf8 } from '../../protocol/bytes.ts';
import { parseConfigBlob, parseTheme } from '../../protocol/config.ts';
import type { SignedRelease, SlotKind } from '../../protocol/release.ts';
import { loadContext, basePath, type AdminContext } from '../lib/context.ts';
import { byId, h, replaceChildren, say } from '../lib/dom.ts';
import type { DryRunResult } from '../lib/dry-run.ts';
import { publishDraft } from '../lib/publish-plan.ts';
import { guardOf, publishGuardedDraft, showCarried, withReverts } from './publish-guard.ts';
import { browserTrust, verifyLive } from '../lib/signer.ts';
import { drawPath, signerBadge, slotChip, unverifiedNotice } from '../lib/release-view.ts';
import { contractOf, isThemeSlot, SlotBoard, type SlotStatus } from '../lib/slot-board.ts';
import { proposeVersion, type PublishStep } from '../../publisher/publisher.ts';
import { RelayApi } from '../../publisher/relay-api.ts';
import { CONTRACTS_SLOT, parseContracts, type DeclaredContract } from '../../protocol/contracts.ts';
import { describeError } from '../lib/refusals.ts';
import { STARTER_SCRIPT } from '../lib/starter-script.ts';
import { partId, type CardHooks } from './card-parts.ts';
import { drawCards, updateBadges } from './slot-cards.ts';
import { sayCheckReport } from './check-report.ts';

const gate = byId('gate', HTMLElement);
const current = byId('current', HTMLElement);
const slotsHost = byId('slots', HTMLElement);
const addForm = byId('add-slot-form', HTMLFormElement);
const addName = byId('add-slot-name', HTMLInputElement);
const addKind = byId('add-slot-kind', HTMLSelectElement);
const addStatus = byId('add-slot-status', HTMLElement);
const form = byId('publish-form', HTMLFormElement);
const versionInput = byId('version', HTMLInputElement);
const rollout = byId('rollout', HTMLInputElement);
const rolloutOut = byId('rollout-out', HTMLOutputElement);
const notes = byId('notes', HTMLInputElement);
const plan = byId('plan', HTMLElement);
const overrideWrap = byId('override-wrap', HTMLElement);
const override = byId('override', HTMLInputElement);
const publishButton = byId('publish', HTMLButtonElement);
const publishStatus = byId('publish-status', HTMLElement);

/** What the status line says while the publisher works. */
const STEP_WORDS: { readonly [S in PublishStep]: string } = {
  latest: 'Fetching the live release…',
  trust: 'Checking who signed the live release…',
  plan: 'Working out what changes…',
  sign: 'Signing in this browser…',
  upload: 'Sending to the relay…',
};

const PLAN_WORDS: { readonly [S in SlotStatus]: string } = {
  unchanged: '',
  changed: 'replaced',
  new: 'added',
  removed: 'removed',
  offered: '',
};

let ctx: AdminContext = { relay: location.origin, room: null, key: null };
let board = SlotBoard.fromRelease(null, { starterScript: STARTER_SCRIPT });
/** Each script slot's last check and the exact text it ran. */
const checks = new Map<string, { text: string; report: DryRunResult }>();
let busy = false;

const api = () => new RelayApi(ctx.relay);

/** The text of a script slot the publish would send, or null when it sends none. */
function scriptToSend(name: string): string | null {
  const entry = board.get(name);
  const status = board.status(name);
  if (entry?.kind !== 'script' || entry.readOnly || (status !== 'changed' && status !== 'new')) return null;
  return entry.draft?.kind === 'script' ? entry.draft.text : null;
}

/** Script slots the publish would send whose last check, of that very text, failed. */
function failedChecks(): string[] {
  return board.entries().flatMap((e) => {
    const text = scriptToSend(e.name);
    const check = checks.get(e.name);
    return text !== null && check?.text === text && !check.report.ok ? [e.name] : [];
  });
}

/** Refreshes the badges, the plan line and the Publish button from the board. */
function refresh(): void {
  updateBadges(board);
  const { changed, problems } = board.plan();
  const failed = failedChecks();
  overrideWrap.hidden = failed.length === 0;
  if (failed.length === 0) override.checked = false;
  rolloutOut.value = rollout.value;
  const reach =
    Number(rollout.value) < 100
      ? `Only ${rollout.value}% of players will apply it.`
      : 'Every player will apply it.';
  plan.textContent = problems.length
    ? `Not ready: ${problems.join('; ')}.`
    : changed.length
      ? `This release changes: ${changed.map((c) => `${c.name} (${PLAN_WORDS[c.status]})`).join(', ')}. ${reach}`
      : 'Nothing changed yet: edit a slot, add one or remove one.';
  publishButton.disabled =
    busy ||
    !ctx.key ||
    changed.length === 0 ||
    problems.length > 0 ||
    (failed.length > 0 && !override.checked);
}

/** Loads the live content of the board's text slots (scripts, configs, the theme). */
async function loadLiveContent(relay: RelayApi): Promise<void> {
  for (const entry of board.entries()) {
    const slot = entry.live;
    if (!slot || slot.kind === 'texture') continue;
    const bytes = await relay.blob(slot.sha256);
    if (slot.kind === 'script') {
      board.setLive(entry.name, { kind: 'script', text: fromUtf8(bytes) });
    } else if (isThemeSlot(entry.name, slot.kind)) {
      const parsed = parseConfigBlob(entry.name, bytes);
      const theme = parsed.ok ? parseTheme(parsed.value) : parsed;
      board.setLive(
        entry.name,
        theme.ok ? { kind: 'theme', value: theme.value } : { kind: 'config', text: fromUtf8(bytes) },
      );
    } else {
      board.setLive(entry.name, { kind: 'config', text: fromUtf8(bytes) });
    }
  }
}

async function showCurrent(): Promise<void> {
  if (!ctx.room) return;
  const relay = api();
  const latest: SignedRelease | null = await relay.latest(ctx.room);
  // Nothing of the relay's live release — version, notes, slots, content — is shown until a key this
  // browser trusts verified its signature (issue 10): a relay can serve anything.
  const verdict = latest
    ? await verifyLive(
        latest,
        ctx.room,
        ctx.key?.publicKey ?? null,
        await browserTrust(ctx.relay, ctx.room, ctx.key),
      )
    : null;
  board = SlotBoard.fromRelease(verdict?.ok ? latest!.release : null, { starterScript: STARTER_SCRIPT });
  checks.clear();
  versionInput.value = verdict && !verdict.ok ? '1.0.0' : await proposeVersion(relay, ctx.room);
  if (!latest || !verdict) {
    replaceChildren(
      current,
      h(
        'p',
        {},
        `Room “${ctx.room}” has no release yet: the first one you publish creates it, signed by this browser’s key. `,
        'The demo game’s slots are offered below; add your own game’s slots instead if it is another game.',
      ),
    );
    return;
  }
  if (!verdict.ok) {
    replaceChildren(current, unverifiedNotice(verdict, ctx.room, ctx.key !== null));
    return;
  }
  const r = latest.release;
  replaceChildren(
    current,
    h(
      'p',
      {},
      h('strong', { 'data-testid': 'live-version' }, r.version),
      ` · seq `,
      h('span', { 'data-testid': 'live-seq' }, String(r.seq)),
      ` · ${new Date(r.createdAt).toLocaleString()} · `,
      signerBadge(verdict.signer),
    ),
    r.notes ? h('p', { class: 'hint' }, r.notes) : null,
    h('div', { class: 'slots' }, ...Object.entries(r.slots).map(([n, s]) => slotChip(n, s))),
  );
  await loadLiveContent(relay);
  await showCarried(relay, r.room, []).catch(() => undefined);
}

/**
 * The contract the room declares for a script slot: from the `contracts` config slot as this publish
 * would send it (null: none, or a draft that does not parse — the relay would refuse that anyway).
 */
function declaredContract(name: string): DeclaredContract | null {
  const draft = board.get(CONTRACTS_SLOT)?.draft;
  if (draft?.kind !== 'config') return null;
  try {
    const parsed = parseContracts(JSON.parse(draft.text));
    return parsed.ok ? (parsed.value.slots[name] ?? null) : null;
  } catch {
    return null;
  }
}

/** Runs the check of a script slot (a dry run of its contract, or a load check) and shows it. */
async function runCheck(name: string): Promise<DryRunResult> {
  const entry = board.get(name);
  const text = entry?.draft?.kind === 'script' ? entry.draft.text : '';
  const ids = entry ?? { name, demo: false };
  const button = document.getElementById(partId(ids, 'check'));
  const status = document.getElementById(partId(ids, 'check-status')) ?? publishStatus;
  const canvas = document.getElementById(partId(ids, 'path'));
  if (button instanceof HTMLButtonElement) button.disabled = true;
  const declared = declaredContract(name);
  const ball = contractOf(name) === 'ball' || declared !== null;
  say(
    status,
    'info',
    ball ? 'Running the script in the player’s sandbox…' : 'Loading the module in the player’s sandbox…',
  );
  let report: DryRunResult;
  try {
    const { checkScript, WORLD } = await import('../lib/dry-run.ts');
    report = await checkScript(name, text, declared);
    sayCheckReport(status, report);
    if (canvas instanceof HTMLCanvasElement) {
      const theme = board.get('theme')?.draft;
      const colours = theme?.kind === 'theme' ? theme.value : {};
      drawPath(canvas, report, WORLD, {
        background: colours.background ?? '#1d2330',
        ball: colours.ball ?? '#ff6b3d',
      });
    }
  } catch (error) {
    const message = `the check could not start: ${String(error)}`;
    report = { ok: false, contract: null, frames: 0, error: message, meanMs: 0, maxMs: 0, path: [] };
    say(status, 'error', message);
  }
  checks.set(name, { text, report });
  if (button instanceof HTMLButtonElement) button.disabled = false;
  refresh();
  return report;
}

/** Checks every script the publish would send whose text has no passing check yet; true: all pass. */
async function checkScriptsToSend(): Promise<string | null> {
  for (const entry of board.entries()) {
    const text = scriptToSend(entry.name);
    if (text === null) continue;
    const last = checks.get(entry.name);
    const report = last?.text === text ? last.report : await runCheck(entry.name);
    if (!report.ok) return entry.name;
  }
  return null;
}

async function publish(): Promise<void> {
  const { room, key } = ctx;
  if (!room || !key) return;
  busy = true;
  refresh();
  say(publishStatus, 'info', 'Checking…');
  try {
    if (!override.checked) {
      const failed = await checkScriptsToSend();
      if (failed !== null) {
        say(
          publishStatus,
          'error',
          `Not published: the script failed its dry run (slot ${failed}). Fix it, or tick “Publish even though…”.`,
        );
        return;
      }
    }
    const guard = guardOf();
    if (typeof guard === 'string') {
      say(publishStatus, 'error', `Not published. ${guard}`);
      return;
    }
    const asked = board.plan().changes;
    await showCarried(
      api(),
      room,
      asked.map((c) => (c.op === 'theme' ? 'theme' : c.slot)),
    );
    const changes = await withReverts(api(), room, asked);
    const onStep = (step: keyof typeof STEP_WORDS) => say(publishStatus, 'info', STEP_WORDS[step]);
    const version = versionInput.value.trim();
    const { published: answer, changed } = guard
      ? await publishGuardedDraft(
          { relay: ctx.relay, room, key },
          { changes, version, notes: notes.value.trim() },
          guard,
          onStep,
        )
      : await publishDraft(
          { relay: ctx.relay, room, key },
          { changes, version, rolloutPercent: Number(rollout.value) },
          { notes: notes.value.trim(), onStep },
        );
    say(
      publishStatus,
      'ok',
      'Published ',
      h('strong', {}, answer.version),
      ' as seq ',
      h('strong', { 'data-testid': 'published-seq' }, String(answer.seq)),
      ` (${changed.join(', ')}). `,
      h('a', { href: `${basePath()}dashboard/` }, 'Watch it spread on the dashboard'),
      '.',
    );
    notes.value = '';
    await showCurrent();
    drawCards(slotsHost, hooks);
  } catch (error) {
    const d = describeError(error);
    say(
      publishStatus,
      'error',
      h('strong', {}, 'Not published. '),
      d.words,
      h(
        'span',
        { class: 'detail' },
        `Relay code `,
        h('code', { 'data-testid': 'refusal-code' }, d.code),
        `: ${d.detail}`,
      ),
    );
  } finally {
    busy = false;
    refresh();
  }
}

const hooks: CardHooks = {
  get board() {
    return board;
  },
  changed: refresh,
  restructured: () => {
    drawCards(slotsHost, hooks);
    refresh();
  },
  check: (name) => void runCheck(name),
  liveBlob: (sha256) => api().blob(sha256),
};

addForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = addName.value.trim();
  const kind = addKind.value;
  if (kind !== 'script' && kind !== 'texture' && kind !== 'config') return;
  const added = board.add(name, kind satisfies SlotKind);
  if (!added.ok) {
    say(addStatus, 'error', added.message);
    return;
  }
  say(addStatus, 'ok', `Slot “${name}” (${kind}) added: give it content below, then publish.`);
  addName.value = '';
  hooks.restructured();
  document.getElementById(partId(added.value, 'h'))?.scrollIntoView({ block: 'nearest' });
});
for (const input of [rollout, override]) input.addEventListener('input', refresh);
form.addEventListener('submit', (event) => {
  event.preventDefault();
  void publish();
});

async function start(): Promise<void> {
  ctx = await loadContext();
  const keysPage = basePath();
  if (!ctx.room) {
    say(gate, 'warn', 'Choose a room first on ', h('a', { href: keysPage }, 'Room & keys'), '.');
    replaceChildren(current, h('p', { class: 'empty' }, 'No room chosen.'));
  } else if (!ctx.key) {
    say(
      gate,
      'warn',
      `This browser has no key for room “${ctx.room}”, so it cannot sign releases. `,
      h('a', { href: keysPage }, 'Generate or import the room’s key'),
      ' first. You can still edit and dry-run a script here.',
    );
  }
  if (ctx.room) {
    try {
      await showCurrent();
    } catch (error) {
      // The live release could not be read: the page offers what it offers a room with none.
      board = SlotBoard.fromRelease(null, { starterScript: STARTER_SCRIPT });
      // A label to start from; the publisher fetches the live release again and says what fails.
      if (!versionInput.value) versionInput.value = '1.0.0';
      const d = describeError(error);
      replaceChildren(current, h('p', { class: 'warn-text' }, d.words), h('p', { class: 'hint' }, d.detail));
    }
  }
  drawCards(slotsHost, hooks);
  refresh();
}
void start();
