import { describe, expect, it } from 'vitest';
import { MessageType, type Message } from '../../protocol/index.ts';
import { HandlerRegistry } from './registry.ts';

describe('handler registry', () => {
  it('routes each message to the handler of its type, narrowed, and says when it has none', () => {
    const seen: string[] = [];
    const registry = new HandlerRegistry<string[]>()
      .on(MessageType.heartbeat, (log, message) => log.push(`beat ${message.traffic?.peers ?? '-'}`))
      .on(MessageType.peersGet, (log) => log.push('peers'));
    const beat: Message = {
      type: MessageType.heartbeat,
      traffic: { bytesFromRelay: 0, bytesFromPeers: 0, peers: 3 },
    };
    expect(registry.dispatch(seen, beat)).toBe(true);
    expect(registry.dispatch(seen, { type: MessageType.peersGet })).toBe(true);
    expect(registry.dispatch(seen, { type: MessageType.peers, peers: [] })).toBe(false);
    expect(seen).toEqual(['beat 3', 'peers']);
    expect(registry.has(MessageType.heartbeat)).toBe(true);
    expect(registry.has(MessageType.ack)).toBe(false);
  });

  it('refuses a second handler for one type', () => {
    const registry = new HandlerRegistry<string[]>().on(MessageType.peersGet, (log) => log.push('first'));
    expect(() => registry.on(MessageType.peersGet, (log) => log.push('second'))).toThrow(
      /already registered/,
    );
  });
});
