import { describe, expect, it } from 'vitest';
import { Hud } from './hud.ts';
import type { PatchStatus } from '../core/status.ts';

const base: PatchStatus = {
  room: 'demo',
  seq: 7,
  slots: { logic: { version: '1.2.0', sha256: 'a'.repeat(64) } },
  mode: 'relay',
  peers: 2,
  bytesFromRelay: 2048,
  bytesFromPeers: 3 * 1024 * 1024,
  lastError: null,
  lastFailure: null,
  clientId: 'p-1',
  loading: null,
};

describe('Hud', () => {
  it('shows versions, mode, peers and traffic', () => {
    const root = document.createElement('aside');
    const hud = new Hud(root);
    hud.set(base, 59.6);
    hud.flush();
    const text = (id: string) => root.querySelector(`#hud-${id}`)?.textContent;
    expect(text('seq')).toBe('7');
    expect(text('logic')).toBe('1.2.0');
    expect(text('background')).toBe('colour');
    expect(text('mode')).toBe('relay');
    expect(root.querySelector<HTMLElement>('#hud-mode')?.dataset['mode']).toBe('relay');
    expect(text('traffic')).toBe('relay 2.0 KiB · peers 3.00 MiB');
    expect(text('fps')).toBe('60');
    expect(root.querySelector<HTMLElement>('.hud-progress')?.hidden).toBe(true);
  });

  it('keeps the figures that change all the time out of the live region', () => {
    const root = document.createElement('aside');
    root.setAttribute('aria-live', 'polite'); // as the page has it
    new Hud(root);
    const live = (selector: string) => root.querySelector(selector)?.getAttribute('aria-live') ?? null;
    expect(live('#hud-fps')).toBe('off');
    expect(live('#hud-traffic')).toBe('off');
    expect(live('.hud-progress')).toBe('off');
    // The rest is read out as the region says.
    for (const id of ['seq', 'mode', 'logic', 'background', 'theme', 'peers'])
      expect(live(`#hud-${id}`)).toBe(null);
    expect(live('#hud-error')).toBe(null);
  });

  it('shows a progress bar while a release downloads', () => {
    const root = document.createElement('aside');
    const hud = new Hud(root);
    hud.set({ ...base, loading: { seq: 8, received: 1024 * 1024, total: 4 * 1024 * 1024 } }, 60);
    hud.flush();
    expect(root.querySelector<HTMLElement>('.hud-progress')?.hidden).toBe(false);
    expect(root.querySelector<HTMLProgressElement>('#hud-progress')?.value).toBeCloseTo(0.25);
    expect(root.querySelector('#hud-progress-label')?.textContent).toBe('seq 8: 1.00 MiB / 4.00 MiB');
  });

  it('writes errors and versions as text, never as markup', () => {
    const root = document.createElement('aside');
    const hud = new Hud(root);
    const evil = '<img src=x onerror=alert(1)>';
    hud.set({ ...base, lastError: evil, slots: { logic: { version: evil, sha256: 'b'.repeat(64) } } }, 60);
    hud.flush();
    expect(root.querySelector('img')).toBeNull();
    expect(root.querySelector('#hud-error')?.textContent).toBe(evil);
    expect(root.querySelector('#hud-logic')?.textContent).toBe(evil);
  });

  it('shows the last failure with its release and what runs instead, and hides it when there is none', () => {
    const root = document.createElement('aside');
    const hud = new Hud(root);
    const failure = {
      seq: 9,
      release: '1.0.3',
      slot: 'logic',
      version: '1.0.3',
      error: 'Error: boom',
      running: { version: '1.0.1', sha256: 'c'.repeat(64) },
      at: 0,
    };
    hud.set({ ...base, lastFailure: failure }, 60);
    hud.flush();
    const line = root.querySelector<HTMLElement>('#hud-failure');
    expect(line?.hidden).toBe(false);
    expect(line?.textContent).toBe(
      'last failure: logic 1.0.3 of release 1.0.3 (seq 9), running 1.0.1 instead',
    );
    hud.set(base, 60);
    hud.flush();
    expect(line?.hidden).toBe(true);
  });
});
