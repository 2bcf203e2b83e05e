/**
 * The arena: enemies chase a hero across a tiled floor. Everything that makes it play is patched
 * live through Patchcast — the enemies' AI (`enemy-ai`), the hero's (`hero-ai`), the floor's texture
 * (`floor`) and the numbers and colours (`tuning`) — from a relay given in the URL:
 * `index.html?server=http://relay:8787&room=arena&key=<room public key>`.
 */
import {
  browserPatchClient,
  browserSandbox,
  ScriptHost,
  type ApplyOutcome,
  type PatchClient,
  type PatchHandlers,
  type ScriptContract,
} from 'patchcast/player';
import { BUILTIN, MOVE, STEER, WORLD, type Point, type Velocity } from './contracts.ts';
import { DEFAULT_TUNING, parseTuning, type Tuning } from './tuning.ts';

const params = new URLSearchParams(location.search);
const canvas = document.querySelector('canvas')!;
const draw = canvas.getContext('2d')!;
// The sandbox's two files, copied beside the page by build.mjs.
const spawn = browserSandbox({ worker: './sandbox.worker.js', engine: './quickjs.wasm' });
const BUILTIN_ID = 'builtin';

let client: PatchClient | null = null;
let tuning: Tuning = DEFAULT_TUNING;
let floor: CanvasPattern | null = null;
let caught = 0;
let hero: Point = { x: WORLD.width / 2, y: WORLD.height / 2 };
let heroVelocity: Velocity = { vx: 0, vy: 0 };
let enemies: Point[] = [];
let enemyVelocities: Velocity[] = [];

/** A script slot's host: trial calls, fallback, and failures acked to the relay. */
function host<T>(slot: keyof typeof BUILTIN, contract: ScriptContract<T>): ScriptHost<T> {
  const h = new ScriptHost(contract, {
    spawn,
    onFailure(failed, error, now, transient) {
      // A patched script failed while running: the previous one runs again; tell the dashboard.
      if (failed.id === BUILTIN_ID) return;
      const running = now && now.id !== BUILTIN_ID ? now.id : null;
      void client?.reportFailure(slot, failed.id, error, running, { transient });
    },
  });
  void h.install(BUILTIN[slot], { id: BUILTIN_ID, version: 'built-in' });
  return h;
}
const hosts = { 'enemy-ai': host('enemy-ai', STEER), 'hero-ai': host('hero-ai', MOVE) };

const handlers: PatchHandlers = {
  async script(change, source): Promise<ApplyOutcome> {
    const h = change.name === 'enemy-ai' || change.name === 'hero-ai' ? hosts[change.name] : null;
    if (!h) return { status: 'skipped', reason: `the arena has no script slot ${change.name}` };
    const installed = await h.install(source, { id: change.slot.sha256, version: change.slot.version });
    return installed.ok
      ? { status: 'applied' }
      : { status: 'failed', error: installed.message, transient: installed.transient };
  },
  async texture(change, bytes): Promise<ApplyOutcome> {
    if (change.name !== 'floor') return { status: 'skipped', reason: 'only the floor is textured' };
    const bitmap = await createImageBitmap(new Blob([bytes.slice()], { type: change.slot.mime }));
    floor = draw.createPattern(bitmap, 'repeat');
    return { status: 'applied' };
  },
  config(change, value): ApplyOutcome {
    // The tools' copy of the contracts: the page's own are in contracts.ts.
    if (change.name === 'contracts') return { status: 'applied' };
    if (change.name !== 'tuning') return { status: 'skipped', reason: `no config slot ${change.name}` };
    tuning = parseTuning(value); // throws on a bad field: the client acks that as failed
    return { status: 'applied' };
  },
  removed(slot) {
    if (slot.name === 'floor') floor = null; // the plain floor colour shows again
    if (slot.name === 'tuning') tuning = DEFAULT_TUNING;
  },
};

const server = params.get('server');
const room = params.get('room');
const key = params.get('key');
if (server && room && key) {
  client = browserPatchClient({ server, room, publicKey: key, handlers, platform: 'arena example' });
  void client.start();
}

/** Where a new enemy enters: a corner, in turn. */
function spawnPoint(i: number): Point {
  return { x: i % 2 ? WORLD.width - 10 : 10, y: i % 4 < 2 ? 10 : WORLD.height - 10 };
}

const clamp = (v: number, max: number) => Math.min(max, Math.max(0, v));

function step(dt: number, time: number): void {
  while (enemies.length < tuning.enemies) enemies.push(spawnPoint(enemies.length + caught));
  enemies.length = tuning.enemies;
  const world = { ...WORLD, time };
  // One call per script in flight at most; the frame never waits for a script.
  if (hosts['enemy-ai'].ready) {
    const asked = enemies.length;
    void hosts['enemy-ai'].call([enemies, hero, world]).then((r) => {
      if (r.ok && r.value.length === asked) enemyVelocities = r.value;
    });
  }
  if (hosts['hero-ai'].ready) {
    void hosts['hero-ai'].call([hero, enemies, world]).then((r) => {
      if (r.ok) heroVelocity = r.value;
    });
  }
  hero = {
    x: clamp(hero.x + heroVelocity.vx * tuning.heroSpeed * dt, WORLD.width),
    y: clamp(hero.y + heroVelocity.vy * tuning.heroSpeed * dt, WORLD.height),
  };
  enemies = enemies.map((e, i) => {
    const v = enemyVelocities[i] ?? { vx: 0, vy: 0 };
    const next = {
      x: clamp(e.x + v.vx * tuning.enemySpeed * dt, WORLD.width),
      y: clamp(e.y + v.vy * tuning.enemySpeed * dt, WORLD.height),
    };
    if (Math.hypot(next.x - hero.x, next.y - hero.y) > 14) return next;
    caught++;
    return spawnPoint(i + caught);
  });
}

function render(): void {
  draw.fillStyle = floor ?? tuning.floorColor;
  draw.fillRect(0, 0, WORLD.width, WORLD.height);
  const dot = (p: Point, r: number, colour: string) => {
    draw.fillStyle = colour;
    draw.beginPath();
    draw.arc(p.x, p.y, r, 0, Math.PI * 2);
    draw.fill();
  };
  for (const e of enemies) dot(e, 8, tuning.enemyColor);
  dot(hero, 10, tuning.heroColor);
  const status = client?.status();
  draw.fillStyle = '#ffffff';
  draw.font = '14px system-ui, sans-serif';
  draw.fillText(
    `caught ${caught} · seq ${status?.seq ?? 0} · ${status?.mode ?? 'offline'}`,
    12,
    WORLD.height - 12,
  );
}

let last = performance.now();
const started = last;
function frame(now: number): void {
  step(Math.min(0.1, (now - last) / 1000), (now - started) / 1000);
  last = now;
  render();
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);

const offline = {
  room: room ?? '–',
  seq: 0,
  slots: {},
  mode: 'offline',
  lastError: 'no ?server=&room=&key=',
};
Object.defineProperty(window, 'patchcast', {
  value: Object.freeze({
    /** Same shape as the demo player's: room, seq, slots { name: { version, sha256 } }, mode, lastError. */
    status: () => client?.status() ?? offline,
    /** The script each slot runs now (`builtin` before any patch). */
    running: () => ({ 'enemy-ai': hosts['enemy-ai'].running, 'hero-ai': hosts['hero-ai'].running }),
    caught: () => caught,
    tuning: () => tuning,
    textured: () => floor !== null,
  }),
});
