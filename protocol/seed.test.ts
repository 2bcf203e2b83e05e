import { describe, expect, it } from 'vitest';
import { utf8 } from './bytes.ts';
import { ErrorCode } from './errors.ts';
import {
  hexToRgb,
  looksLikeSeedHello,
  parseClientInfo,
  parseHotUpdate,
  parseSeedClientMessage,
  scanJsonObjectEnd,
} from './seed.ts';

describe('seed protocol', () => {
  it("parses the seed client's exact hello", () => {
    // What HotUpdateGameClient.connect_to_server sends: json.dumps(client_info), unframed.
    const text = '{"type": "client_info", "version": "1.0.0", "platform": "Pygame Client"}';
    expect(looksLikeSeedHello(utf8(text)[0]!)).toBe(true);
    expect(scanJsonObjectEnd(utf8(text))).toBe(utf8(text).length);
    expect(parseClientInfo(JSON.parse(text))).toEqual({
      ok: true,
      value: { type: 'client_info', version: '1.0.0', platform: 'Pygame Client' },
    });
  });

  it('finds the end of an unframed object with braces inside strings, and waits for more', () => {
    const text = '{"type":"client_info","platform":"a}\\"{b"}';
    const bytes = utf8(text + '\u0000\u0000');
    expect(scanJsonObjectEnd(bytes)).toBe(utf8(text).length);
    expect(scanJsonObjectEnd(utf8('{"type":"client'))).toBe(-1);
  });

  it('tells a framed stream from a seed hello by the first byte', () => {
    expect(looksLikeSeedHello(0x00)).toBe(false);
    expect(looksLikeSeedHello(0x7b)).toBe(true);
  });

  it("parses the seed client's heartbeat and ack_update", () => {
    expect(parseSeedClientMessage({ type: 'heartbeat', timestamp: 1732363200.5 }).ok).toBe(true);
    expect(
      parseSeedClientMessage({
        type: 'ack_update',
        update_type: 'script_logic',
        success: true,
        version: '1.1.0',
      }).ok,
    ).toBe(true);
    expect(parseSeedClientMessage({ type: 'other' })).toMatchObject({
      ok: false,
      code: ErrorCode.UNKNOWN_TYPE,
    });
  });

  it('validates hot_update by update type', () => {
    const background = {
      type: 'hot_update',
      update_type: 'background_config',
      config: {
        version: '1',
        last_update: '',
        background_color: [1, 2, 3],
        background_image: null,
        enabled: true,
      },
      timestamp: 1,
    };
    expect(parseHotUpdate(background).ok).toBe(true);
    expect(
      parseHotUpdate({ ...background, config: { ...background.config, background_color: [1, 2, 300] } }).ok,
    ).toBe(false);
  });

  it('converts #rrggbb to the seed colour triple', () => {
    expect(hexToRgb('#1e2832')).toEqual([30, 40, 50]);
    expect(() => hexToRgb('red')).toThrow(TypeError);
  });
});
