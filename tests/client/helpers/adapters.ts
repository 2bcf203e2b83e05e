/**
 * The player's two adapters, as the shared client suite drives them. Each makes a patch client on
 * its own platform parts and hands back the same {@link PatchClient}:
 *
 * - `browser`: `browserPatchClient` — IndexedDB (fake-indexeddb here; real IndexedDB in the Chromium
 *   tests) and the WebSocket transport (the `ws` package as the global `WebSocket`);
 * - `node`: `NodePlayer` — the file cache and framed TCP.
 *
 * Both reach the REAL relay (in-process), through a {@link Meddler} that passes everything on and
 * can be told to lie.
 */
import 'fake-indexeddb/auto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, set } from 'idb-keyval';
import WebSocket from 'ws';
import { browserPatchClient } from '../../../player/browser/browser-client.ts';
import { idbCache } from '../../../player/browser/idb-cache.ts';
import type { PatchCache } from '../../../player/core/cache.ts';
import type { PatchClient, PatchClientOptions } from '../../../player/core/patch-client.ts';
import type { ConnectTransport } from '../../../player/core/transport.ts';
import { fileCache } from '../../../player/node/file-cache.ts';
import { NodePlayer } from '../../../player/node/node-player.ts';
import { tcpTransport } from '../../../player/node/tcp-transport.ts';
import type { Meddler } from './meddler.ts';

// The browser adapter dials `globalThis.WebSocket`: in Node 20, the `ws` package's.
if (!('WebSocket' in globalThis)) Object.assign(globalThis, { WebSocket });

/** What a test gives a client: everything but the platform's parts (a test may still dial its own way). */
export type ClientOptions = Omit<PatchClientOptions, 'cache' | 'connect' | 'server'> & {
  readonly connect?: ConnectTransport;
};

/** One adapter of the player. */
export interface Adapter {
  readonly name: 'browser' | 'node';
  /** A fresh, empty cache of this adapter's kind (its own database or directory). */
  cache(): Promise<PatchCache>;
  /** A fresh cache of this kind that already keeps the client id `id` (as a returning player's). */
  cacheWithClientId(id: string): Promise<PatchCache>;
  /** A patch client on this adapter, through the meddler, with `cache`. */
  client(meddler: Meddler, cache: PatchCache, options: ClientOptions): { client: PatchClient; close(): void };
}

let stores = 0;

const browser: Adapter = {
  name: 'browser',
  cache: async () => idbCache(createStore(`suite-${++stores}`, 'cache')),
  async cacheWithClientId(id) {
    const store = createStore(`suite-${++stores}`, 'cache');
    await set('patchcast:client-id', id, store);
    return idbCache(store);
  },
  client(meddler, cache, options) {
    // The shared suite checks the chunk path (requests, pauses, tampering) on both adapters alike;
    // whole blobs over HTTP, the browser adapter's default, have their own tests (http-blobs.test.ts).
    const client = browserPatchClient({ httpBlobs: false, ...options, server: meddler.url, cache });
    return { client, close: () => client.close() };
  },
};

const node: Adapter = {
  name: 'node',
  cache: async () => fileCache(await mkdtemp(join(tmpdir(), 'suite-cache-'))),
  async cacheWithClientId(id) {
    const dir = await mkdtemp(join(tmpdir(), 'suite-cache-'));
    await writeFile(join(dir, 'client-id'), id);
    return fileCache(dir);
  },
  client(meddler, cache, options) {
    // `NodePlayer` takes a cache directory; the suite hands every adapter its cache object, so the
    // player is built from the same parts NodePlayer uses.
    const player = new NodePlayer({
      ...options,
      server: meddler.url,
      cache,
      connect: options.connect ?? tcpTransport(meddler.host, meddler.tcpPort),
      fps: 0,
    });
    return { client: player.client, close: () => player.close() };
  },
};

/** Both adapters. */
export const adapters: readonly Adapter[] = [browser, node];
