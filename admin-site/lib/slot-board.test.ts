import { describe, expect, it } from 'vitest';
import { utf8 } from '../../protocol/bytes.ts';
import type { Release, Slot } from '../../protocol/release.ts';
import { SlotBoard } from './slot-board.ts';

const SHA = 'a'.repeat(64);
const common = { sha256: SHA, size: 10, version: '1.0.0', chunkSize: 65536, chunks: [SHA] };
const script: Slot = { kind: 'script', lang: 'js', ...common };
const texture: Slot = { kind: 'texture', mime: 'image/png', ...common };
const config: Slot = { kind: 'config', ...common };

function release(slots: Record<string, Slot>): Release {
  return {
    format: 1,
    room: 'r',
    seq: 3,
    version: '1.0.0',
    createdAt: '2026-11-30T00:00:00.000Z',
    expiresAt: '2026-12-30T00:00:00.000Z',
    keyId: '0123456789abcdef',
    slots,
  };
}

const custom = () => release({ tuning: config, 'level-1': texture, 'enemy-ai': script });
const demo = () => release({ logic: script, background: texture, theme: config });

describe('SlotBoard of a game’s own room', () => {
  it('lists exactly the release’s slots with their kinds, none changed, no demo slot offered', () => {
    const board = SlotBoard.fromRelease(custom(), { starterScript: 'export function update() {}' });
    expect(board.entries().map((e) => [e.name, e.kind, e.state])).toEqual([
      ['enemy-ai', 'script', 'live'],
      ['level-1', 'texture', 'live'],
      ['tuning', 'config', 'live'],
    ]);
    board.setLive('enemy-ai', { kind: 'script', text: 'export function think() {}' });
    board.setLive('tuning', { kind: 'config', text: '{"speed":1}' });
    expect(board.entries().map((e) => board.status(e.name))).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(board.plan()).toEqual({ changes: [], changed: [], problems: [] });
  });

  it('replaces a config, adds a slot and removes one: the publisher’s changes, in page order', () => {
    const board = SlotBoard.fromRelease(custom());
    board.setLive('tuning', { kind: 'config', text: '{"speed":1}' });
    board.edit('tuning', { kind: 'config', text: '{"speed":2}' });
    board.remove('level-1');
    expect(board.add('boss-ai', 'script').ok).toBe(true);
    board.edit('boss-ai', { kind: 'script', text: 'export function think(e) { return e; }' });
    const plan = board.plan();
    expect(plan.problems).toEqual([]);
    expect(plan.changed).toEqual([
      { name: 'level-1', status: 'removed' },
      { name: 'tuning', status: 'changed' },
      { name: 'boss-ai', status: 'new' },
    ]);
    expect(plan.changes).toEqual([
      { op: 'remove', slot: 'level-1' },
      { op: 'set', slot: 'tuning', content: { kind: 'config', bytes: utf8('{"speed":2}') } },
      {
        op: 'set',
        slot: 'boss-ai',
        content: { kind: 'script', lang: 'js', bytes: utf8('export function think(e) { return e; }') },
      },
    ]);
    board.restore('level-1');
    board.revert('tuning');
    board.remove('boss-ai');
    expect(board.plan().changes).toEqual([]);
    expect(board.get('boss-ai')).toBeUndefined();
  });

  it('validates names by the protocol’s rule, refuses duplicates, and checks config JSON', () => {
    const board = SlotBoard.fromRelease(custom());
    expect(board.add('Level 2', 'texture')).toMatchObject({ ok: false, code: 'BAD_SLOT' });
    expect(board.add('2nd', 'texture')).toMatchObject({ ok: false, code: 'BAD_SLOT' });
    expect(board.add('x'.repeat(33), 'texture')).toMatchObject({ ok: false, code: 'BAD_SLOT' });
    expect(board.add('tuning', 'config')).toMatchObject({ ok: false, code: 'BAD_SLOT' });
    board.remove('tuning');
    expect(board.add('tuning', 'config')).toMatchObject({
      ok: false,
      message: expect.stringContaining('removal'),
    });
    expect(board.add('level-2', 'texture').ok).toBe(true);
    board.restore('tuning');
    board.setLive('tuning', { kind: 'config', text: '{}' });
    board.edit('tuning', { kind: 'config', text: '[1, 2]' });
    expect(board.plan().problems).toEqual(['tuning: config must be a JSON object', 'level-2: pick an image']);
  });

  it('refuses an added script left empty', () => {
    const board = SlotBoard.fromRelease(custom());
    board.add('extra', 'script');
    expect(board.plan().problems).toEqual(['extra: the script is empty']);
  });
});

describe('SlotBoard of the demo game', () => {
  it('keeps the demo’s slots, the theme edited as a patch of the live theme', () => {
    const board = SlotBoard.fromRelease(demo());
    expect(board.entries().map((e) => e.name)).toEqual(['logic', 'background', 'theme']);
    board.setLive('theme', {
      kind: 'theme',
      value: { background: '#112233', ball: '#FF0000', ballRadius: 20 },
    });
    board.edit('theme', { kind: 'theme', value: { background: '#112233', ball: '#ff0000', ballRadius: 20 } });
    expect(board.status('theme')).toBe('unchanged');
    board.edit('theme', { kind: 'theme', value: { background: '#ABCDEF', ball: '#ff0000', ballRadius: 20 } });
    expect(board.plan().changes).toEqual([
      { op: 'theme', patch: { background: '#abcdef', ball: '#ff0000', ballRadius: 20 } },
    ]);
  });

  it('offers the demo’s slots to a room with no release; they join the publish only when edited or included', () => {
    const board = SlotBoard.fromRelease(null, { starterScript: 'export function update(b) { return b; }' });
    expect(board.entries().map((e) => [e.name, e.state])).toEqual([
      ['logic', 'offered'],
      ['background', 'offered'],
      ['theme', 'offered'],
    ]);
    expect(board.get('logic')?.draft).toEqual({
      kind: 'script',
      text: 'export function update(b) { return b; }',
    });
    expect(board.plan().changes).toEqual([]);
    board.edit('logic', { kind: 'script', text: 'export function update(b) { return { ...b }; }' });
    board.include('theme');
    expect(board.plan().changed.map((c) => [c.name, c.status])).toEqual([
      ['logic', 'new'],
      ['theme', 'new'],
    ]);
    board.remove('theme');
    expect(board.get('theme')?.state).toBe('offered');
  });

  it('offers the missing demo slots to a room with a logic script, and nothing to other rooms', () => {
    const partial = SlotBoard.fromRelease(release({ logic: script }));
    expect(partial.entries().map((e) => [e.name, e.state])).toEqual([
      ['logic', 'live'],
      ['background', 'offered'],
      ['theme', 'offered'],
    ]);
    const themed = SlotBoard.fromRelease(release({ theme: config, ai: script }));
    expect(themed.entries().map((e) => e.name)).toEqual(['ai', 'theme']);
  });

  it('shows a seed-protocol Python script read-only; it can still be removed', () => {
    const board = SlotBoard.fromRelease(release({ logic: script, legacy: { ...script, lang: 'python' } }));
    expect(board.get('legacy')?.readOnly).toBe(true);
    board.edit('legacy', { kind: 'script', text: 'print(1)' });
    expect(board.status('legacy')).toBe('unchanged');
    board.remove('legacy');
    expect(board.plan().changes).toEqual([{ op: 'remove', slot: 'legacy' }]);
  });
});
