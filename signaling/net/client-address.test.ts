/**
 * Reading the client's address from a trusted balancer: PROXY protocol v1 and v2 headers (as haproxy
 * writes them), and `X-Forwarded-For` walked from the right, believed only from trusted peers.
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ProxyTrust, TrustProxyError } from './client-address.ts';
import { parseProxyHeader } from './proxy-protocol.ts';

const V2_SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

function v2(command: number, family: number, body: number[]): Buffer {
  return Buffer.from([...V2_SIG, 0x20 | command, family, body.length >> 8, body.length & 0xff, ...body]);
}

const request = (peer: string, xff?: string | string[]) =>
  ({
    socket: { remoteAddress: peer },
    headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
  }) as unknown as IncomingMessage;

describe('PROXY protocol', () => {
  it('reads v1 lines, and waits for the rest of one', () => {
    const line = Buffer.from('PROXY TCP4 192.0.2.7 10.0.0.1 5555 8788\r\n\x00\x00\x00\x02{}');
    expect(parseProxyHeader(line)).toEqual({ kind: 'header', length: 41, address: '192.0.2.7' });
    expect(parseProxyHeader(line.subarray(0, 20))).toEqual({ kind: 'more' });
    expect(parseProxyHeader(Buffer.from('PRO'))).toEqual({ kind: 'more' });
    expect(parseProxyHeader(Buffer.from('PROXY TCP6 2001:db8::1 ::1 1 2\r\n'))).toMatchObject({
      address: '2001:db8::1',
    });
    expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'))).toEqual({
      kind: 'header',
      length: 15,
      address: null,
    });
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 999.0.0.1 1.2.3.4 1 2\r\n')).kind).toBe('bad');
    expect(parseProxyHeader(Buffer.from(`PROXY ${'x'.repeat(200)}`)).kind).toBe('bad');
  });

  it('reads v2 headers: IPv4, IPv6, LOCAL, TLVs skipped', () => {
    const ipv4 = v2(1, 0x11, [198, 51, 100, 9, 127, 0, 0, 1, 0x12, 0x34, 0x22, 0x4c]);
    expect(parseProxyHeader(Buffer.concat([ipv4, Buffer.from([0, 0, 0, 2])]))).toEqual({
      kind: 'header',
      length: 28,
      address: '198.51.100.9',
    });
    expect(parseProxyHeader(ipv4.subarray(0, 20))).toEqual({ kind: 'more' });
    const ipv6 = v2(1, 0x21, [
      0x20,
      0x01,
      0x0d,
      0xb8,
      ...Array(11).fill(0),
      5,
      ...Array(16).fill(0),
      0,
      1,
      0,
      2,
      4,
      0,
      1,
      7,
    ]);
    expect(parseProxyHeader(ipv6)).toMatchObject({ kind: 'header', address: '2001:db8::5' });
    expect(parseProxyHeader(v2(0, 0, []))).toEqual({ kind: 'header', length: 16, address: null });
    expect(parseProxyHeader(Buffer.from([...V2_SIG, 0x31, 0x11, 0, 0])).kind).toBe('bad');
  });

  it('says "none" for the framed and seed protocols', () => {
    expect(parseProxyHeader(Buffer.from([0, 0, 0, 10]))).toEqual({ kind: 'none' });
    expect(parseProxyHeader(Buffer.from('{"type":"client_info"}'))).toEqual({ kind: 'none' });
  });
});

describe('ProxyTrust', () => {
  const trust = ProxyTrust.parse('127.0.0.1, 10.0.0.0/8,::1');

  it('parses addresses and CIDR blocks, and refuses anything else', () => {
    expect(trust.trusts('10.20.30.40')).toBe(true);
    expect(trust.trusts('::ffff:127.0.0.1')).toBe(true);
    expect(trust.trusts('127.0.0.2')).toBe(false);
    expect(trust.trusts('::1')).toBe(true);
    for (const bad of ['10.0.0.0/33', 'example.org', '1.2.3.4/8/9', '::1/129']) {
      expect(() => ProxyTrust.parse(bad)).toThrow(TrustProxyError);
    }
    expect(ProxyTrust.parse('').trusts('127.0.0.1')).toBe(false);
  });

  it('takes the rightmost untrusted hop of X-Forwarded-For, from trusted peers only', () => {
    expect(trust.clientOf(request('127.0.0.1', '203.0.113.5'))).toBe('203.0.113.5');
    // The client claimed an address; the balancer appended the real one: the real one wins.
    expect(trust.clientOf(request('127.0.0.1', '6.6.6.6, 203.0.113.5'))).toBe('203.0.113.5');
    // Two balancers in a row.
    expect(trust.clientOf(request('127.0.0.1', ['6.6.6.6, 198.51.100.1', '10.1.1.1']))).toBe('198.51.100.1');
    // A direct caller's header is ignored.
    expect(trust.clientOf(request('192.0.2.1', '6.6.6.6'))).toBe('192.0.2.1');
    // Garbage stops the walk at the last hop a trusted balancer vouched for.
    expect(trust.clientOf(request('127.0.0.1', 'junk'))).toBe('127.0.0.1');
    expect(trust.clientOf(request('::ffff:127.0.0.1', '::ffff:198.51.100.2'))).toBe('198.51.100.2');
    expect(ProxyTrust.none.clientOf(request('127.0.0.1', '6.6.6.6'))).toBe('127.0.0.1');
  });
});
