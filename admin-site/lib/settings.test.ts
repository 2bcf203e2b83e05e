import { describe, expect, it } from 'vitest';
import {
  getRelayUrl,
  getRoom,
  normalizeRelayUrl,
  playerLink,
  relayWebSocketUrl,
  setRelayUrl,
  setRoom,
  type KeyValueStorage,
} from './settings.ts';

function memory(): KeyValueStorage {
  const m = new Map<string, string>();
  return {
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, v),
    removeItem: (k) => void m.delete(k),
  };
}

const ORIGIN = 'http://127.0.0.1:8787';
const PK = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

describe('relay URL', () => {
  it('normalises what a person types', () => {
    expect(normalizeRelayUrl(' http://relay.example:8787/ ')).toBe('http://relay.example:8787');
    expect(normalizeRelayUrl('https://x.example/patchcast/')).toBe('https://x.example/patchcast');
    expect(normalizeRelayUrl('ftp://x')).toBeNull();
    expect(normalizeRelayUrl('javascript:alert(1)')).toBeNull();
    expect(normalizeRelayUrl('not a url')).toBeNull();
  });

  it('defaults to the origin and remembers a choice', () => {
    const s = memory();
    expect(getRelayUrl(s, ORIGIN)).toBe(ORIGIN);
    expect(setRelayUrl('http://127.0.0.1:9999/', s, ORIGIN)).toBe('http://127.0.0.1:9999');
    expect(getRelayUrl(s, ORIGIN)).toBe('http://127.0.0.1:9999');
    setRelayUrl('', s, ORIGIN);
    expect(getRelayUrl(s, ORIGIN)).toBe(ORIGIN);
    expect(() => setRelayUrl('file:///etc/passwd', s, ORIGIN)).toThrow(/http/);
  });

  it('derives the WebSocket URL', () => {
    expect(relayWebSocketUrl('http://127.0.0.1:8787')).toBe('ws://127.0.0.1:8787/ws');
    expect(relayWebSocketUrl('https://x.example/p')).toBe('wss://x.example/p/ws');
  });
});

describe('room', () => {
  it('accepts only valid room names', () => {
    const s = memory();
    expect(getRoom(s)).toBeNull();
    setRoom('demo', s);
    expect(getRoom(s)).toBe('demo');
    expect(() => setRoom('Bad Room', s)).toThrow();
    s.setItem('patchcast.admin.room', '<script>');
    expect(getRoom(s)).toBeNull();
  });
});

describe('player link', () => {
  it('pins the key, under the base path, without server= when the relay is the origin', () => {
    const link = playerLink({ origin: ORIGIN, base: '/', room: 'demo', publicKey: PK, relay: ORIGIN });
    expect(link).toBe(`${ORIGIN}/play/?room=demo&key=${PK}`);
  });

  it('adds server= when the relay is elsewhere, and honours a sub-path base', () => {
    const link = new URL(
      playerLink({
        origin: 'https://games.example',
        base: '/admin',
        room: 'r1',
        publicKey: PK,
        relay: ORIGIN,
      }),
    );
    expect(link.pathname).toBe('/admin/play/');
    expect(link.searchParams.get('room')).toBe('r1');
    expect(link.searchParams.get('key')).toBe(PK);
    expect(link.searchParams.get('server')).toBe(ORIGIN);
  });
});
