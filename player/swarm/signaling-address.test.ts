import { describe, expect, it } from 'vitest';
import { signalingFor } from './signaling-address.ts';

describe('signalingFor', () => {
  it("finds the relay's PeerJS server, keeping a path prefix", () => {
    expect(signalingFor('http://127.0.0.1:8787')).toEqual({
      host: '127.0.0.1',
      port: 8787,
      path: '/peerjs',
      secure: false,
    });
    expect(signalingFor('https://relay.example/')).toEqual({
      host: 'relay.example',
      port: 443,
      path: '/peerjs',
      secure: true,
    });
    expect(signalingFor('https://host.example/games/relay')).toMatchObject({
      port: 443,
      path: '/games/relay/peerjs',
    });
    expect(signalingFor('http://host.example:8080/relay/')).toMatchObject({
      port: 8080,
      path: '/relay/peerjs',
    });
  });
});
