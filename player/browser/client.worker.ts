/**
 * The patch client's dedicated worker: the whole platform-free core (`PatchClient`: the relay's
 * WebSocket, `acceptRelease`, blob fetches and hashes, IndexedDB) runs here, off the page's main
 * thread, where three.js frames would otherwise hold every step of a release back. Textures decode
 * here too (`decodeTexels`: an opaque PNG's RGBA texels, else a bitmap); the page gets them
 * (transferred) and does the one step only it can: the upload. Scripts, config and removals go to the
 * page's handlers as they are. Status snapshots, events and timeline marks are pushed to the page
 * (`worker-client.ts`), marks and status riding with the next call (`outbox.ts`); the page's swarm
 * plugs in through `swarm-bridge.ts`. See `client-bridge.ts` for what crosses.
 */
import { expose, transfer, type Remote } from 'comlink';
import type { ApplyOutcome, PatchHandlers } from '../core/apply.ts';
import type { PatchClient } from '../core/patch-client.ts';
import type { PatchEvents } from '../core/events.ts';
import { forwardStages, markStage } from '../core/timeline.ts';
import { decodeTexels } from '../game/texture.ts';
import { browserPatchClient } from './browser-client.ts';
import type { ClientWorkerApi, PageSide, WorkerClientInit } from './client-bridge.ts';
import { Outbox } from './outbox.ts';
import { WorkerSwarmLink, type Async, type PageSwarm } from './swarm-bridge.ts';

const EVENTS: readonly (keyof PatchEvents)[] = ['shown', 'applied', 'refused', 'connected', 'disconnected'];

let client: PatchClient | null = null;
let link: WorkerSwarmLink | null = null;
/**
 * Texels the page handed back (`reuseTexels`), newest first, at most {@link SPARE_TEXELS}: the next
 * texture of one's size is copied into it. Two, so that textures of two sizes taking turns (a
 * background and an overlay, or the benchmark's small and large) each find theirs.
 */
const spareTexels: ArrayBuffer[] = [];
const SPARE_TEXELS = 2;

/**
 * A spare buffer of `byteLength` bytes for release `seq`'s texture, if one was handed back (taken:
 * each is used once); marked on the timeline (`texels-reused`: DevTools, and the tests, see it).
 */
function takeSpare(seq: number, byteLength: number): Uint8Array | null {
  const at = spareTexels.findIndex((spare) => spare.byteLength === byteLength);
  if (at < 0) return null;
  const spare = spareTexels.splice(at, 1)[0]!;
  markStage('texels-reused', seq);
  return new Uint8Array(spare);
}

/** The handlers the core calls, each sending its slot to the page (a texture decoded first). */
function handlersFor(init: WorkerClientInit, page: Remote<PageSide>, outbox: Outbox): PatchHandlers {
  const drawn = new Set(init.drawnTextures);
  return {
    script: (change, source) => page.script(change, source, outbox.take()),
    async texture(change, bytes): Promise<ApplyOutcome> {
      if (!drawn.has(change.name))
        return { status: 'skipped', reason: `texture slot ${change.name} is not drawn` };
      const decoded = await decodeTexels(bytes, change.slot.mime, (n) => takeSpare(change.seq, n));
      markStage('decoded', change.seq);
      const moved = 'texels' in decoded ? decoded.texels.buffer : decoded.bitmap;
      return page.texture(change, transfer(decoded, [moved]), outbox.take());
    },
    config: (change, value) => page.config(change, value, outbox.take()),
    removed: (slot) => page.removed(slot, outbox.take()),
  };
}

const api: ClientWorkerApi = {
  async start(init, pageSide) {
    if (client) throw new Error('the patch client worker was started already');
    // (Comlink hands the worker a proxy of the page's object: every call is a promise.)
    const page = pageSide as unknown as Remote<PageSide>;
    const outbox = new Outbox((mail) => void page.post(mail).catch(() => undefined));
    forwardStages((stage, seq, at) => outbox.mark(stage, seq, at));
    link = init.swarm ? new WorkerSwarmLink(page as unknown as Async<PageSwarm>, init.swarm) : null;
    const c = browserPatchClient({
      room: init.room,
      publicKey: init.publicKey,
      server: init.server,
      ...(init.servers ? { servers: init.servers } : {}),
      ...(init.platform ? { platform: init.platform } : {}),
      handlers: handlersFor(init, page, outbox),
      ...link?.clientOptions(),
    });
    client = c;
    // Status snapshots go with the next call to the page (`outbox.ts`); an event takes the newest.
    const news = () => ({ snapshot: c.status(), server: c.currentServer() });
    c.addEventListener('status', () => outbox.setStatus(news()));
    for (const type of EVENTS) {
      c.on(type, (detail) => {
        outbox.setStatus(news());
        void page.event(type, detail, outbox.take()).catch(() => undefined);
      });
    }
    await c.start();
    outbox.setStatus(news());
    void page.post(outbox.take()).catch(() => undefined);
  },
  offerRelease: (candidate) => mustHave().offerRelease(candidate),
  sendToRelay: (message) => client?.sendToRelay(message) ?? false,
  peerIdChanged: () => client?.peerIdChanged(),
  swarmView(view) {
    if (link) link.view = view;
  },
  reportFailure: (slot, failedSha256, error, nowRunning, options) =>
    mustHave().reportFailure(slot, failedSha256, error, nowRunning, options),
  reuseTexels(buffer) {
    spareTexels.unshift(buffer);
    spareTexels.length = Math.min(spareTexels.length, SPARE_TEXELS);
  },
  close: () => client?.close(),
  relayGetChunk: (sha256, index, mayDefer) =>
    link?.relayGetChunk(sha256, index, mayDefer) ??
    Promise.resolve({ kind: 'error', message: 'no swarm in this worker' }),
  relayStarved: (starved) => link?.relayStarved(starved),
  relayFetch: (desc) => mustLink().relayFetch(desc),
  fetchProgress: (id, received, total) => link?.fetchProgress(id, received, total),
};

function mustHave(): PatchClient {
  if (!client) throw new Error('the patch client worker was not started');
  return client;
}

function mustLink(): WorkerSwarmLink {
  if (!link) throw new Error('no swarm in this worker');
  return link;
}

expose(api);
