// @vitest-environment node
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { linkConfigFor, loopbackOnlyBinding, NODE_LINK_MTU } from './node-peer.ts';

const lo: NetworkInterfaceInfo = {
  address: '127.0.0.1',
  netmask: '255.0.0.0',
  family: 'IPv4',
  mac: '00:00:00:00:00:00',
  internal: true,
  cidr: '127.0.0.1/8',
};
const eth: NetworkInterfaceInfo = { ...lo, address: '10.0.0.7', internal: false, cidr: '10.0.0.7/24' };

describe('loopbackOnlyBinding', () => {
  it('binds WebRTC to 127.0.0.1 on a machine whose only network is loopback (libdatachannel skips it otherwise)', () => {
    expect(loopbackOnlyBinding({ lo: [lo] })).toEqual({ bindAddress: '127.0.0.1' });
  });

  it('binds nothing where another interface exists: candidates are gathered as a browser does', () => {
    expect(loopbackOnlyBinding({ lo: [lo], eth0: [eth] })).toEqual({});
  });
});

describe('linkConfigFor', () => {
  it('asks for larger SCTP packets only on a loopback-only machine, and only towards a Node player', () => {
    expect(linkConfigFor('pn-0011', { lo: [lo] })).toEqual({ mtu: NODE_LINK_MTU });
    expect(linkConfigFor('pc-0011', { lo: [lo] })).toEqual({}); // a page: Chromium drops them
    expect(linkConfigFor(null, { lo: [lo] })).toEqual({});
    expect(linkConfigFor('pn-0011', { lo: [lo], eth0: [eth] })).toEqual({}); // a real network's MTU
  });
});
