import { describe, expect, it } from 'vitest';
import type { Release, Slot } from '../../protocol/release.ts';
import { SlotBoard } from '../lib/slot-board.ts';
import { partId, type CardHooks } from './card-parts.ts';
import { drawCards } from './slot-cards.ts';

const SHA = 'b'.repeat(64);
const common = { sha256: SHA, size: 10, version: '1.0.0', chunkSize: 65536, chunks: [SHA] };

function release(slots: Record<string, Slot>): Release {
  return {
    format: 1,
    room: 'r',
    seq: 1,
    version: '1.0.0',
    createdAt: '2026-11-30T00:00:00.000Z',
    expiresAt: '2026-12-30T00:00:00.000Z',
    keyId: '0123456789abcdef',
    slots,
  };
}

function draw(board: SlotBoard): { host: HTMLElement; events: string[] } {
  const host = document.createElement('div');
  document.body.replaceChildren(host);
  const events: string[] = [];
  const hooks: CardHooks = {
    board,
    changed: () => events.push('changed'),
    restructured: () => {
      events.push('restructured');
      drawCards(host, hooks);
    },
    check: (name) => events.push(`check ${name}`),
    liveBlob: () => Promise.reject(new Error('not in this test')),
  };
  drawCards(host, hooks);
  return { host, events };
}

describe('slot cards', () => {
  it('draws one card per slot with its kind and badge; a config gets a JSON editor checked as you type', () => {
    const board = SlotBoard.fromRelease(release({ tuning: { kind: 'config', ...common } }));
    board.setLive('tuning', { kind: 'config', text: '{"speed":1}' });
    const { host, events } = draw(board);
    const card = host.querySelector('[data-slot=tuning]');
    expect(card?.getAttribute('data-kind')).toBe('config');
    expect(card?.getAttribute('data-status')).toBe('unchanged');
    expect(document.getElementById('slot-tuning-badge')?.textContent).toBe('unchanged');
    const area = document.getElementById('slot-tuning-json');
    if (!(area instanceof HTMLTextAreaElement)) throw new Error('no JSON editor');
    expect(area.value).toBe('{"speed":1}');
    area.value = '{"speed":';
    area.dispatchEvent(new Event('input'));
    expect(document.getElementById('slot-tuning-json-status')?.dataset['kind']).toBe('error');
    expect(board.status('tuning')).toBe('changed');
    expect(events).toEqual(['changed']);
  });

  it('removes a slot and undoes it; the demo’s slots keep the page’s old element ids', () => {
    const board = SlotBoard.fromRelease(
      release({ theme: { kind: 'config', ...common }, logic: { kind: 'script', lang: 'js', ...common } }),
    );
    board.setLive('theme', {
      kind: 'theme',
      value: { background: '#000000', ball: '#ffffff', ballRadius: 10 },
    });
    const { host } = draw(board);
    expect(partId({ name: 'theme', demo: true }, 'ball')).toBe('theme-ball');
    expect(partId({ name: 'tuning', demo: false }, 'json')).toBe('slot-tuning-json');
    const ball = document.getElementById('theme-ball');
    expect(ball instanceof HTMLInputElement && ball.value).toBe('#ffffff');
    expect(document.getElementById('dry-run')?.textContent).toBe('Dry run (300 frames)');
    document.getElementById('slot-theme-remove')?.click();
    expect(host.querySelector('[data-slot=theme]')?.getAttribute('data-status')).toBe('removed');
    expect(document.getElementById('theme-ball')).toBeNull();
    document.getElementById('slot-theme-restore')?.click();
    expect(board.status('theme')).toBe('unchanged');
    expect(document.getElementById('theme-ball')).not.toBeNull();
  });
});
