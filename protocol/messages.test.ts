import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ErrorCode, isErrorCode } from './errors.ts';
import { errorMessage, MessageType, messageValidators, parseMessage, PROTOCOL_VERSION } from './messages.ts';

const sha = 'a'.repeat(64);

const valid = {
  hello: { type: 'hello', v: PROTOCOL_VERSION, room: 'demo', role: 'player', clientId: 'p-1', seq: 0 },
  welcome: {
    type: 'welcome',
    clientId: 'p-1',
    room: 'demo',
    seq: 3,
    heartbeatMs: 10000,
    maxFrameBytes: 1 << 24,
    serverTime: '2026-11-23T12:00:00.000Z',
  },
  'blob.get': { type: 'blob.get', sha256: sha, from: 0, count: 4 },
  blob: { type: 'blob', sha256: sha, index: 0, data: 'AAAA' },
  'blob.defer': { type: 'blob.defer', sha256: sha, index: 2, retryAfterMs: 1500 },
  'peers.get': { type: 'peers.get' },
  peers: { type: 'peers', peers: ['p-1-peer', 'p-2-peer'] },
  'swarm.starved': { type: 'swarm.starved', starved: true },
  heartbeat: { type: 'heartbeat', traffic: { bytesFromRelay: 10, bytesFromPeers: 90, peers: 2 } },
  ack: { type: 'ack', seq: 3, slot: 'logic', version: '1.0.1', sha256: sha, status: 'failed', error: 'boom' },
  roster: { type: 'roster', room: 'demo', seq: 3, at: '2026-11-23T12:00:00.000Z', clients: [] },
  error: { type: 'error', code: 'BAD_JSON', message: 'no', fatal: true },
} as const;

describe('messages', () => {
  for (const [type, message] of Object.entries(valid)) {
    it(`validates a well-formed ${type}`, () => {
      const parsed = parseMessage(JSON.parse(JSON.stringify(message)));
      expect(parsed).toEqual({ ok: true, value: message });
    });
  }

  it('has one validator per message type', () => {
    expect(Object.keys(messageValidators).sort()).toEqual(Object.values(MessageType).sort());
  });

  it('refuses unknown types and non-objects with their own codes', () => {
    expect(parseMessage({ type: 'nope' })).toMatchObject({ ok: false, code: ErrorCode.UNKNOWN_TYPE });
    expect(parseMessage([1])).toMatchObject({ ok: false, code: ErrorCode.BAD_MESSAGE });
    expect(parseMessage(null)).toMatchObject({ ok: false, code: ErrorCode.BAD_MESSAGE });
  });

  it('refuses wrong shapes with a path in the message', () => {
    const bad = parseMessage({ ...valid.hello, room: 'Bad Room!' });
    expect(bad).toMatchObject({ ok: false, code: ErrorCode.BAD_MESSAGE });
    expect(!bad.ok && bad.message).toMatch(/room/);
    expect(parseMessage({ ...valid['blob.get'], count: 100000 }).ok).toBe(false);
    expect(parseMessage({ ...valid.ack, status: 'maybe' }).ok).toBe(false);
    expect(parseMessage({ ...valid.ack, error: 'x'.repeat(5000) }).ok).toBe(false);
    expect(parseMessage({ ...valid.hello, clientId: '<img src=x>' }).ok).toBe(false);
    expect(parseMessage({ type: 'swarm.starved', starved: 'yes' }).ok).toBe(false);
    expect(parseMessage({ type: 'swarm.starved' }).ok).toBe(false);
  });

  it('keeps client text as text: markup is data, not refused, not altered', () => {
    const platform = '<img src=x onerror=alert(1)>';
    const parsed = parseMessage({ ...valid.hello, platform });
    expect(parsed.ok && parsed.value.type === 'hello' && parsed.value.platform).toBe(platform);
  });

  it('property: any JSON value is either a message or a typed error, never a throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record({ type: fc.constantFrom(...Object.values(MessageType)), x: fc.jsonValue() }),
        ),
        (value) => {
          const parsed = parseMessage(value);
          if (!parsed.ok) expect(isErrorCode(parsed.code)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('builds error messages within the wire limit', () => {
    const msg = errorMessage(ErrorCode.INTERNAL, 'x'.repeat(5000), true);
    expect(parseMessage(msg).ok).toBe(true);
  });
});

describe('welcome.defers', () => {
  it('is true or absent', () => {
    expect(parseMessage({ ...valid.welcome, defers: true }).ok).toBe(true);
    expect(parseMessage({ ...valid.welcome, defers: false }).ok).toBe(false);
    expect(parseMessage({ ...valid.welcome, defers: 'yes' }).ok).toBe(false);
  });
});
