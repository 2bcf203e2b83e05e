/**
 * The demo player page (`/play/?room=R&key=PUBKEY[&server=URL][&p2p=off][&ice=…]`): the library's
 * parts put together.
 * The frame loop owns nothing but drawing: the ball comes from the logic host (never waited for),
 * patches come from the patch client, and each patch goes to the part of the scene it changes.
 *
 * For tests and embedders: `window.patchcast.status()`, `window.patchcast.swarm()` and a
 * `patchcast:applied` event on `window` once a release is on screen (see `docs/player.md`).
 */
import { parseTheme } from '../../protocol/config.ts';
import type { AppliedDetail, PatchStatus } from '../core/status.ts';
import { browserSwarm, webRtcAvailable } from '../browser/browser-client.ts';
import type { PageHandlers } from '../browser/client-bridge.ts';
import { WorkerPatchClient } from '../browser/worker-client.ts';
import clientWorkerUrl from '../browser/client.worker.ts?worker&url';
import type { ApplyOutcome } from '../core/apply.ts';
import { parseAppliedDetail } from '../core/status.ts';
import { markStage } from '../core/timeline.ts';
import { initialBall, WORLD_HEIGHT, WORLD_WIDTH } from '../sandbox/contract.ts';
import { BOUNCE, BUILTIN_LOGIC } from '../sandbox/examples.ts';
import { LogicHost } from '../sandbox/logic-host.ts';
import { viteSandbox } from '../sandbox/vite-sandbox.ts';
import { GameScene } from '../game/scene.ts';
import { Hud } from '../game/hud.ts';
import { FrameMeter } from './frame-meter.ts';
import { parsePlayerParams } from './params.ts';
import { registerServiceWorker } from '../sw/register.ts';
import { noSwarm, type PlayerSwarm, type SwarmInfo } from '../swarm/player-swarm.ts';

const DEFAULT_RADIUS = 15;

/** Browser and OS for the roster, from the user agent (free text; the relay stores it as text only). */
function platform(): string {
  const ua = navigator.userAgent;
  const browser = /(Firefox|Edg|Chrome|Safari)\/(\d+)/.exec(ua);
  const os = /(Android|iPhone|iPad|CrOS|Windows|Mac OS X|Linux)/.exec(ua)?.[1] ?? 'unknown OS';
  return `${browser ? `${browser[1]} ${browser[2]}` : 'browser'} / ${os}`;
}

function mustFind<T extends Element>(selector: string, type: new () => T): T {
  const found = document.querySelector(selector);
  if (!(found instanceof type)) throw new Error(`the page has no ${selector}`);
  return found;
}

/** Starts the page. */
export function main(): void {
  const canvas = mustFind('#game', HTMLCanvasElement);
  const hud = new Hud(mustFind('#hud', HTMLElement));
  const scene = new GameScene(canvas);
  const meter = new FrameMeter();
  let client: WorkerPatchClient | null = null;
  let swarm: PlayerSwarm | null = null;
  let swarmInfo: SwarmInfo = noSwarm('disabled');

  const host = new LogicHost(initialBall(DEFAULT_RADIUS), {
    spawn: viteSandbox,
    onFailure: (failed, error, now, transient) => {
      if (failed.id === BUILTIN_LOGIC.id || !client) return;
      const running = now && now.id !== BUILTIN_LOGIC.id ? now.id : null;
      void client.reportFailure('logic', failed.id, error, running, { transient });
    },
  });
  void host.install(BOUNCE, BUILTIN_LOGIC);

  const offline: PatchStatus = {
    room: '–',
    seq: 0,
    slots: {},
    mode: 'offline',
    peers: 0,
    bytesFromRelay: 0,
    bytesFromPeers: 0,
    lastError: null,
    lastFailure: null,
    clientId: null,
    loading: null,
  };
  let status = offline;

  // What only the page can do; everything else of a release happens in the client's worker.
  const handlers: PageHandlers = {
    async script(change, source): Promise<ApplyOutcome> {
      if (change.name !== 'logic')
        return { status: 'skipped', reason: 'only the logic slot drives the ball' };
      const installed = await host.install(source, { id: change.slot.sha256, version: change.slot.version });
      markStage('tried', change.seq);
      if (installed.ok) return { status: 'applied' };
      return { status: 'failed', error: installed.message, transient: installed.transient };
    },
    texture(change, decoded): ApplyOutcome {
      // Decoded in the client's worker (only the slots in `drawnTextures`): one step here. The texels
      // of the image it replaced go back to the worker, for the next texture's.
      const freed = scene.setBackground(decoded);
      markStage('uploaded', change.seq);
      if (freed) client?.reuseTexels(freed);
      return { status: 'applied' };
    },
    config(change, value): ApplyOutcome {
      if (change.name !== 'theme')
        return { status: 'skipped', reason: `config slot ${change.name} is not used` };
      const theme = parseTheme(value);
      if (!theme.ok) return { status: 'failed', error: `${theme.code}: ${theme.message}` };
      scene.setTheme(theme.value);
      host.setRadius(theme.value.ballRadius ?? DEFAULT_RADIUS);
      return { status: 'applied' };
    },
    removed(slot): void {
      // No image: the theme's colour shows, as the seed showed its colour without a background.
      if (slot.name === 'background') scene.clearBackground();
    },
  };

  const params = parsePlayerParams(location.search, location.origin);
  if (params.ok) {
    // The swarm, when this browser has WebRTC; without it (or with `&p2p=off`) blobs come from the
    // relay alone, and nothing else changes.
    if (params.value.p2p && webRtcAvailable()) {
      // PeerJS registers with the relay the client is connected to when links are first wanted.
      const server = () => client?.currentServer() ?? params.value.server;
      swarm = browserSwarm({ server, iceServers: params.value.iceServers });
    } else if (params.value.p2p) {
      swarmInfo = noSwarm('unsupported');
    }
    // The patch client runs in a dedicated worker (WebSocket, checks, fetches, hashes, IndexedDB,
    // texture decode): the frames drawn here hold none of it back (docs/player.md).
    client = new WorkerPatchClient({
      worker: new Worker(new URL(clientWorkerUrl, location.href), { type: 'module', name: 'patch-client' }),
      room: params.value.room,
      publicKey: params.value.key,
      server: params.value.server,
      servers: params.value.servers,
      platform: platform(),
      drawnTextures: ['background'],
      handlers,
      initial: { ...offline, room: params.value.room },
      ...(swarm ? { swarm } : {}),
    });
    const c = client;
    status = c.status();
    c.addEventListener('status', () => (status = c.status()));
    swarm?.addEventListener('change', () => (status = c.status()));
    // `patchcast:applied` fires when a release is on screen: for one from the network that is the
    // client's `shown` (its ack follows once IndexedDB has it); for the cache at boot, `applied`.
    const onScreen = (event: Event, fromCache: boolean) => {
      if (!(event instanceof CustomEvent)) return;
      const parsed = parseAppliedDetail(event.detail);
      if (!parsed.ok || parsed.value.fromCache !== fromCache) return;
      const detail: AppliedDetail = parsed.value;
      status = c.status();
      window.dispatchEvent(new CustomEvent('patchcast:applied', { detail }));
    };
    c.addEventListener('shown', (event) => onScreen(event, false));
    c.addEventListener('applied', (event) => onScreen(event, true));
    // The swarm starts once the cache is applied and the relay is being dialled: it never holds up
    // boot or the first frame, and PeerJS loads in a chunk of its own.
    const s = swarm;
    void c.start().then(() => s?.start());
    addEventListener('pagehide', (event) => {
      if (!event.persisted) s?.stop();
    });
  } else {
    status = { ...offline, lastError: params.message };
  }

  Object.defineProperty(window, 'patchcast', {
    value: Object.freeze({
      /** What the player holds and how it is connected (see docs/player.md). */
      status: (): PatchStatus => client?.status() ?? status,
      /** The swarm: state, our PeerJS id, linked peers, bad chunks seen (see docs/player.md). */
      swarm: (): SwarmInfo => swarm?.info() ?? swarmInfo,
      /** The ball as last drawn, and the logic running (for tests). */
      ball: () => host.ball,
      logic: () => host.running,
      /** Frames drawn and the longest frame (ms) since the last reset. */
      frames: (reset = false) => meter.read(reset),
    }),
    enumerable: true,
  });

  addEventListener('resize', () => scene.resize());
  const started = performance.now();
  const frame = (now: number) => {
    const dt = meter.tick(now);
    host.tick({ width: WORLD_WIDTH, height: WORLD_HEIGHT, time: (now - started) / 1000 }, dt);
    scene.setBall(host.ball);
    scene.render();
    hud.set(status, meter.fps);
    hud.flush();
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);

  if (import.meta.env.PROD) registerServiceWorker(import.meta.env.BASE_URL);
}
