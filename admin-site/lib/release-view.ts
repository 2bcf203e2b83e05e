/**
 * Small views of the publish page: who signed a release, a slot chip, and a dry run's ball path.
 */
import type { Slot } from '../../protocol/release.ts';
import { h } from './dom.ts';
import type { DryRunResult } from './dry-run.ts';
import type { Signer } from './signer.ts';
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
