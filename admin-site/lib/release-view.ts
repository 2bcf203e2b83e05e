/**
 * Small views of the publish page: who signed a release, a slot chip, and a dry run's ball path.
 */
import type { Slot } from '../../protocol/release.ts';
import { h } from './dom.ts';
import type { DryRunResult } from './dry-run.ts';
import type { LiveVerdict, Signer } from './signer.ts';
import { formatBytes } from './texture.ts';

/** A badge saying who signed a release, as far as this browser can tell. */
export function signerBadge(signer: Signer): HTMLElement {
  switch (signer.kind) {
    case 'mine':
      return h('span', { class: 'badge ok' }, 'signed by your key');
    case 'room-key':
      return h(
        'span',
        { class: 'badge', title: signer.keyId },
        `signed by room key ${signer.keyId.slice(0, 8)}…`,
      );
    case 'unknown':
      return h(
        'span',
        { class: 'badge warn', title: signer.keyId },
        'signed by a key this browser cannot check',
      );
  }
}

/**
 * Why the relay's live release is not shown (nothing of it — version, notes, slots, content — is
 * put on the page, let alone into an editor to be signed again), with its refusal code.
 */
export function unverifiedNotice(
  verdict: Extract<LiveVerdict, { ok: false }>,
  room: string,
  hasKey: boolean,
): HTMLElement {
  const key = `${verdict.keyId.slice(0, 8)}…`;
  const why =
    verdict.code === 'BAD_SIGNATURE'
      ? `its signature does not verify under key ${key}, a key this browser trusts for room “${room}”: it was changed after it was signed, by the relay or on the way.`
      : verdict.code === 'WRONG_ROOM'
        ? `the relay answered with a release of another room.`
        : hasKey
          ? `it is signed by key ${key}, which this browser does not trust for room “${room}” (not its key, nor a key its key handed the room to). If the room is yours, import the key that signed it, or its backup, on Room & keys.`
          : `this browser holds no key of room “${room}”, so it cannot check who signed it.`;
  return h(
    'div',
    { class: 'warn-text', 'data-testid': 'live-unverified' },
    h('p', {}, h('strong', {}, 'The live release is not shown: '), why),
    h(
      'p',
      { class: 'hint' },
      'Refusal code ',
      h('code', { 'data-testid': 'live-refusal' }, verdict.code),
      '. Nothing of it was loaded into the editors; a publish from here builds on it only once the relay serves a release this browser can verify.',
    ),
  );
}

/** One slot of a release: name, kind, version, size, rollout. */
export function slotChip(name: string, slot: Slot): HTMLElement {
  const extra = slot.rollout ? ` · rollout ${slot.rollout.percent}%` : '';
  return h(
    'span',
    { class: 'slot' },
    h('b', {}, name),
    `${slot.kind} · ${slot.version} · ${formatBytes(slot.size)}${extra}`,
  );
}

/** Draws the ball's path of a dry run over the world, in the theme's colours. */
export function drawPath(
  dryPath: HTMLCanvasElement,
  report: DryRunResult,
  world: { width: number; height: number },
  colours: { background: string; ball: string },
): void {
  const g = dryPath.getContext('2d');
  if (!g || report.path.length === 0) {
    dryPath.hidden = true;
    return;
  }
  dryPath.hidden = false;
  const sx = dryPath.width / world.width;
  const sy = dryPath.height / world.height;
  // Drawn in the theme's colours, so the preview looks like the game.
  g.fillStyle = colours.background;
  g.fillRect(0, 0, dryPath.width, dryPath.height);
  g.strokeStyle = report.ok ? 'rgba(255, 255, 255, 0.75)' : '#ff5a4f';
  g.lineWidth = 1.5;
  g.beginPath();
  report.path.forEach((b, i) => (i === 0 ? g.moveTo(b.x * sx, b.y * sy) : g.lineTo(b.x * sx, b.y * sy)));
  g.stroke();
  const last = report.path[report.path.length - 1];
  if (last) {
    g.fillStyle = colours.ball;
    g.beginPath();
    g.arc(last.x * sx, last.y * sy, Math.max(2, last.radius * sx), 0, Math.PI * 2);
    g.fill();
  }
}
