/**
 * The publish page: edit the logic script (dry run first), pick a texture (checked to decode), set
 * the theme colours, then build and sign the release in this browser and send it to the relay.
 */
import { fromUtf8 } from '../../protocol/bytes.ts';
import { parseConfigBlob, parseTheme, WellKnownSlot, type ThemeConfig } from '../../protocol/config.ts';
import type { SignedRelease } from '../../protocol/release.ts';
import { loadContext, basePath, type AdminContext } from '../lib/context.ts';
import { byId, h, replaceChildren, say } from '../lib/dom.ts';
import type { DryRunResult } from '../lib/dry-run.ts';
import type { ScriptEditor } from '../lib/editor.ts';
import { publishDraft, sameTheme } from '../lib/publish-plan.ts';
import { browserTrust, signerOf } from '../lib/signer.ts';
import { drawPath, signerBadge, slotChip } from '../lib/release-view.ts';
import { proposeVersion, type PublishStep } from '../../publisher/publisher.ts';
import { RelayApi } from '../../publisher/relay-api.ts';
import { describeError } from '../lib/refusals.ts';
import { STARTER_SCRIPT } from '../lib/starter-script.ts';
import { checkTexture, formatBytes, TextureError, type CheckedTexture } from '../lib/texture.ts';

const gate = byId('gate', HTMLElement);
const current = byId('current', HTMLElement);
const logicBadge = byId('logic-badge', HTMLElement);
const scriptFile = byId('script-file', HTMLInputElement);
const scriptRevert = byId('script-revert', HTMLButtonElement);
const editorHost = byId('editor', HTMLElement);
const dryRunButton = byId('dry-run', HTMLButtonElement);
const dryStatus = byId('dry-status', HTMLElement);
const dryPath = byId('dry-path', HTMLCanvasElement);
const textureBadge = byId('texture-badge', HTMLElement);
const textureFile = byId('texture-file', HTMLInputElement);
const textureStatus = byId('texture-status', HTMLElement);
const texturePreview = byId('texture-preview', HTMLImageElement);
const textureClear = byId('texture-clear', HTMLButtonElement);
const textureLive = byId('texture-live', HTMLElement);
const themeBadge = byId('theme-badge', HTMLElement);
const themeBackground = byId('theme-background', HTMLInputElement);
const themeBall = byId('theme-ball', HTMLInputElement);
const themeRadius = byId('theme-radius', HTMLInputElement);
const themeRevert = byId('theme-revert', HTMLButtonElement);
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
const legacy = byId('legacy', HTMLDetailsElement);
const legacySource = byId('legacy-source', HTMLElement);

/** What the status line says while the publisher works. */
const STEP_WORDS: { readonly [S in PublishStep]: string } = {
  latest: 'Fetching the live release…',
  trust: 'Checking who signed the live release…',
  plan: 'Working out what changes…',
  sign: 'Signing in this browser…',
  upload: 'Sending to the relay…',
};

const DEFAULT_THEME = { background: '#1d2330', ball: '#ff6b3d', ballRadius: 24 } as const;

let ctx: AdminContext = { relay: location.origin, room: null, key: null };
let latest: SignedRelease | null = null;
let liveScript: string | null = null;
let liveTheme: ThemeConfig | null = null;
let texture: CheckedTexture | null = null;
let editor: ScriptEditor | null = null;
/** The last dry run and the exact text it ran. */
let dryRun: { text: string; report: DryRunResult } | null = null;
let busy = false;

const scriptText = () => editor?.getText() ?? liveScript ?? STARTER_SCRIPT;

function formTheme(): ThemeConfig {
  const radius = Number(themeRadius.value);
  return {
    background: themeBackground.value.toLowerCase(),
    ball: themeBall.value.toLowerCase(),
    ...(Number.isFinite(radius) ? { ballRadius: radius } : {}),
  };
}

function setTheme(theme: ThemeConfig | null): void {
  themeBackground.value = theme?.background?.toLowerCase() ?? DEFAULT_THEME.background;
  themeBall.value = theme?.ball?.toLowerCase() ?? DEFAULT_THEME.ball;
  themeRadius.value = String(theme?.ballRadius ?? DEFAULT_THEME.ballRadius);
}

function badge(el: HTMLElement, changed: boolean, text = changed ? 'changed' : 'unchanged'): void {
  el.textContent = text;
  el.className = changed ? 'badge warn' : 'badge';
}

/** Refreshes the badges, the plan line and the Publish button from the page's state. */
function refresh(): void {
  const scriptChanged = scriptText() !== liveScript;
  const themeChanged = !sameTheme(formTheme(), liveTheme);
  badge(logicBadge, scriptChanged);
  badge(textureBadge, texture !== null, texture ? 'new file' : 'unchanged');
  badge(themeBadge, themeChanged);
  const changes = [
    scriptChanged && 'logic script',
    texture && 'background texture',
    themeChanged && 'theme',
  ].filter((x): x is string => typeof x === 'string');
  const dryFailed = scriptChanged && dryRun?.text === scriptText() && !dryRun.report.ok;
  overrideWrap.hidden = !dryFailed;
  if (!dryFailed) override.checked = false;
  rolloutOut.value = rollout.value;
  plan.textContent = changes.length
    ? `This release changes: ${changes.join(', ')}. ${Number(rollout.value) < 100 ? `Only ${rollout.value}% of players will apply it.` : 'Every player will apply it.'}`
    : 'Nothing changed yet: edit the script, pick a texture or change a colour.';
  publishButton.disabled = busy || !ctx.key || changes.length === 0 || (dryFailed && !override.checked);
}

async function showCurrent(): Promise<void> {
  if (!ctx.room) return;
  const api = new RelayApi(ctx.relay);
  latest = await api.latest(ctx.room);
  liveScript = null;
  liveTheme = null;
  if (!latest) {
    replaceChildren(
      current,
      h(
        'p',
        {},
        `Room “${ctx.room}” has no release yet: the first one you publish creates it, signed by this browser’s key.`,
      ),
    );
    versionInput.value = await proposeVersion(api, ctx.room);
    return;
  }
  const r = latest.release;
  const trusted = await browserTrust(ctx.relay, r.room, ctx.key);
  const signer = await signerOf(latest, ctx.key?.publicKey ?? null, trusted);
  replaceChildren(
    current,
    h(
      'p',
      {},
      h('strong', { 'data-testid': 'live-version' }, r.version),
      ` · seq `,
      h('span', { 'data-testid': 'live-seq' }, String(r.seq)),
      ` · ${new Date(r.createdAt).toLocaleString()} · `,
      signerBadge(signer),
    ),
    r.notes ? h('p', { class: 'hint' }, r.notes) : null,
    h('div', { class: 'slots' }, ...Object.entries(r.slots).map(([n, s]) => slotChip(n, s))),
  );
  // The next label no release of the room used (after a rollback, not one already in the history).
  versionInput.value = await proposeVersion(api, ctx.room);
  const logic = r.slots[WellKnownSlot.logic];
  if (logic?.kind === 'script') liveScript = fromUtf8(await api.blob(logic.sha256));
  const theme = r.slots[WellKnownSlot.theme];
  if (theme?.kind === 'config') {
    const parsed = parseConfigBlob(WellKnownSlot.theme, await api.blob(theme.sha256));
    if (parsed.ok) {
      const t = parseTheme(parsed.value);
      if (t.ok) liveTheme = t.value;
    }
  }
  const bg = r.slots[WellKnownSlot.background];
  if (bg?.kind === 'texture') {
    const bytes = await api.blob(bg.sha256);
    const url = URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type: bg.mime }));
    replaceChildren(
      textureLive,
      h('h3', {}, 'Live texture'),
      h('img', { class: 'preview', src: url, alt: `Live background, version ${bg.version}` }),
      h('p', { class: 'hint' }, `${bg.version} · ${bg.mime} · ${formatBytes(bg.size)}`),
    );
  }
  const legacySlot = r.slots[WellKnownSlot.seedScript];
  if (legacySlot?.kind === 'script') {
    legacySource.textContent = fromUtf8(await api.blob(legacySlot.sha256));
    legacy.hidden = false;
  }
}

async function runDryRun(): Promise<DryRunResult> {
  const text = scriptText();
  dryRunButton.disabled = true;
  say(dryStatus, 'info', 'Running the script in the player’s sandbox…');
  try {
    const { dryRunScript, DRY_RUN_FRAMES, WORLD } = await import('../lib/dry-run.ts');
    const report = await dryRunScript(text, DRY_RUN_FRAMES);
    dryRun = { text, report };
    if (report.ok) {
      say(
        dryStatus,
        'ok',
        `Dry run passed: ${report.frames} frames, ${report.meanMs.toFixed(2)} ms per frame on average (worst ${report.maxMs.toFixed(1)} ms); every ball was valid.`,
      );
    } else {
      say(
        dryStatus,
        'error',
        report.frames === 0
          ? 'The script failed to start. '
          : `The script failed after ${report.frames} good frames. `,
        h('span', { class: 'detail', 'data-testid': 'dry-error' }, report.error ?? ''),
      );
    }
    drawPath(dryPath, report, WORLD, { background: themeBackground.value, ball: themeBall.value });
    return report;
  } catch (error) {
    const report: DryRunResult = {
      ok: false,
      frames: 0,
      error: `the dry run could not start: ${String(error)}`,
      meanMs: 0,
      maxMs: 0,
      path: [],
    };
    dryRun = { text, report };
    say(dryStatus, 'error', report.error ?? '');
    return report;
  } finally {
    dryRunButton.disabled = false;
    refresh();
  }
}

async function pickTexture(file: File): Promise<void> {
  texture = null;
  texturePreview.hidden = true;
  textureClear.hidden = true;
  say(textureStatus, 'info', `Checking ${file.name}…`);
  try {
    const checked = await checkTexture(new Uint8Array(await file.arrayBuffer()));
    texture = checked;
    texturePreview.src = URL.createObjectURL(
      new Blob([new Uint8Array(checked.bytes)], { type: checked.mime }),
    );
    texturePreview.hidden = false;
    textureClear.hidden = false;
    say(
      textureStatus,
      'ok',
      `${file.name}: ${checked.mime}, ${checked.width}×${checked.height} px, ${formatBytes(checked.bytes.length)} — decodes fine.`,
    );
  } catch (error) {
    textureFile.value = '';
    say(
      textureStatus,
      'error',
      error instanceof TextureError ? error.message : `Could not read the file: ${String(error)}`,
    );
  }
  refresh();
}

async function publish(): Promise<void> {
  const { room, key } = ctx;
  if (!room || !key) return;
  busy = true;
  refresh();
  say(publishStatus, 'info', 'Checking…');
  try {
    const text = scriptText();
    if (text !== liveScript && (dryRun?.text !== text || !dryRun.report.ok) && !override.checked) {
      const report = dryRun?.text === text ? dryRun.report : await runDryRun();
      if (!report.ok) {
        say(
          publishStatus,
          'error',
          'Not published: the script failed its dry run. Fix it, or tick “Publish even though…”.',
        );
        return;
      }
    }
    const version = versionInput.value.trim();
    const notesText = notes.value.trim();
    const { published: answer, changed } = await publishDraft(
      { relay: ctx.relay, room, key },
      {
        script: { text, current: liveScript },
        texture,
        theme: { value: formTheme(), current: liveTheme },
        version,
        rolloutPercent: Number(rollout.value),
      },
      { notes: notesText, onStep: (step) => say(publishStatus, 'info', STEP_WORDS[step]) },
    );
    const dashboard = `${basePath()}dashboard/`;
    say(
      publishStatus,
      'ok',
      'Published ',
      h('strong', {}, answer.version),
      ' as seq ',
      h('strong', { 'data-testid': 'published-seq' }, String(answer.seq)),
      ` (${changed.join(', ')}). `,
      h('a', { href: dashboard }, 'Watch it spread on the dashboard'),
      '.',
    );
    texture = null;
    textureFile.value = '';
    texturePreview.hidden = true;
    textureClear.hidden = true;
    replaceChildren(textureStatus);
    notes.value = '';
    await showCurrent();
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

scriptFile.addEventListener('change', () => {
  const file = scriptFile.files?.[0];
  if (!file || !editor) return;
  void file.text().then((text) => {
    editor?.setText(text);
    scriptFile.value = '';
  });
});
scriptRevert.addEventListener('click', () => editor?.setText(liveScript ?? STARTER_SCRIPT));
dryRunButton.addEventListener('click', () => void runDryRun());
textureFile.addEventListener('change', () => {
  const file = textureFile.files?.[0];
  if (file) void pickTexture(file);
});
textureClear.addEventListener('click', () => {
  texture = null;
  textureFile.value = '';
  texturePreview.hidden = true;
  textureClear.hidden = true;
  replaceChildren(textureStatus);
  refresh();
});
for (const input of [themeBackground, themeBall, themeRadius, rollout, override])
  input.addEventListener('input', refresh);
themeRevert.addEventListener('click', () => {
  setTheme(liveTheme);
  refresh();
});
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
  refresh();
  if (ctx.room) {
    try {
      await showCurrent();
    } catch (error) {
      const d = describeError(error);
      replaceChildren(current, h('p', { class: 'warn-text' }, d.words), h('p', { class: 'hint' }, d.detail));
    }
  }
  setTheme(liveTheme);
  const { createEditor } = await import('../lib/editor.ts');
  editorHost.replaceChildren();
  editor = createEditor(
    editorHost,
    liveScript ?? STARTER_SCRIPT,
    () => refresh(),
    () => void runDryRun(),
  );
  refresh();
}
void start();
