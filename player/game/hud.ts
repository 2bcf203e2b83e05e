/**
 * The heads-up display: versions, seq, connection mode, peers, traffic, a progress bar while a
 * release downloads, and the last error. Everything is set as text (a version label or an error is
 * data from outside, never markup). Updates are batched to at most one per frame.
 */
import type { PatchStatus } from '../core/status.ts';

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text = '',
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.textContent = text;
  return node;
}

/** The HUD; see the file comment. */
export class Hud {
  private readonly fields: Record<
    'room' | 'mode' | 'seq' | 'logic' | 'background' | 'theme' | 'peers' | 'traffic' | 'fps',
    HTMLElement
  >;
  private readonly progress: HTMLProgressElement;
  private readonly progressRow: HTMLElement;
  private readonly progressLabel: HTMLElement;
  private readonly error: HTMLElement;
  private readonly failure: HTMLElement;
  private pending: { status: PatchStatus; fps: number } | null = null;

  constructor(root: HTMLElement) {
    root.replaceChildren();
    const list = el('dl');
    // The page makes the HUD a polite live region (a new seq, version, mode or error is read out);
    // figures that change all the time — the frame rate, the byte counts, the download's progress
    // — are kept out of it, or a screen reader would read them out all the time.
    const quiet = { 'aria-live': 'off' };
    const field = (key: string, label: string, attrs: Record<string, string> = {}): HTMLElement => {
      const value = el('dd', { id: `hud-${key}`, ...attrs });
      list.append(el('dt', {}, label), value);
      return value;
    };
    this.fields = {
      room: field('room', 'room'),
      mode: field('mode', 'mode'),
      seq: field('seq', 'seq'),
      logic: field('logic', 'logic'),
      background: field('background', 'background'),
      theme: field('theme', 'theme'),
      peers: field('peers', 'peers'),
      traffic: field('traffic', 'bytes', quiet),
      fps: field('fps', 'fps', quiet),
    };
    this.progressRow = el('div', { class: 'hud-progress', hidden: '', ...quiet });
    this.progressLabel = el('span', { id: 'hud-progress-label' });
    this.progress = el('progress', { id: 'hud-progress', max: '1', value: '0' });
    this.progressRow.append(this.progressLabel, this.progress);
    this.error = el('p', { id: 'hud-error', class: 'hud-error', role: 'status' });
    this.failure = el('p', { id: 'hud-failure', class: 'hud-error' });
    root.append(el('h1', {}, 'Patchcast'), list, this.progressRow, this.error, this.failure);
  }

  /** Queues new values; `flush` (once per frame) writes them. */
  set(status: PatchStatus, fps: number): void {
    this.pending = { status, fps };
  }

  /** Writes the queued values to the DOM. */
  flush(): void {
    if (!this.pending) return;
    const { status, fps } = this.pending;
    this.pending = null;
    const f = this.fields;
    const text = (node: HTMLElement, value: string) => {
      if (node.textContent !== value) node.textContent = value;
    };
    text(f.room, status.room);
    text(f.mode, status.mode);
    f.mode.dataset['mode'] = status.mode;
    text(f.seq, String(status.seq));
    text(f.logic, status.slots['logic']?.version ?? 'built-in');
    text(f.background, status.slots['background']?.version ?? 'colour');
    text(f.theme, status.slots['theme']?.version ?? 'default');
    text(f.peers, String(status.peers));
    text(
      f.traffic,
      `relay ${formatBytes(status.bytesFromRelay)} · peers ${formatBytes(status.bytesFromPeers)}`,
    );
    text(f.fps, fps > 0 ? fps.toFixed(0) : '–');
    const loading = status.loading;
    this.progressRow.hidden = !loading || loading.total === 0;
    if (loading && loading.total > 0) {
      this.progress.value = loading.received / loading.total;
      text(
        this.progressLabel,
        `seq ${loading.seq}: ${formatBytes(loading.received)} / ${formatBytes(loading.total)}`,
      );
    }
    text(this.error, status.lastError ?? '');
    this.error.hidden = !status.lastError;
    text(this.failure, failureText(status));
    this.failure.hidden = !status.lastFailure;
  }
}

/** The last failure in words: which release and content failed, and what runs instead. */
export function failureText(status: PatchStatus): string {
  const f = status.lastFailure;
  if (!f) return '';
  const instead = f.running ? f.running.version : 'built-in';
  return `last failure: ${f.slot} ${f.version} of release ${f.release} (seq ${f.seq}), running ${instead} instead`;
}
