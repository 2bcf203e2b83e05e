import { afterEach, describe, expect, it } from 'vitest';
import { checkBall, initialBall, type Ball } from './contract.ts';
import { ScriptSandbox, type SandboxWorker } from './sandbox.ts';
import { dryRun } from './dry-run.ts';
import { LogicHost, type ScriptIdentity } from './logic-host.ts';
import { BOUNCE, GRAVITY, SINE_PATH } from './examples.ts';
import { liveWorkers, spawnNodeSandbox } from '../node/node-sandbox.ts';
import { lockDown, REMOVED_GLOBALS } from './lockdown.ts';

const spawn = spawnNodeSandbox;
const world = { width: 800, height: 600, time: 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(10);
  }
}

afterEach(async () => {
  // Every sandbox a test leaves must be gone once its owner terminated it.
  await waitFor(() => liveWorkers.size === 0).catch(() => undefined);
});

describe('checkBall', () => {
  it('accepts a ball and drops extra fields', () => {
    const r = checkBall({ x: 1, y: 2, vx: 3, vy: 4, radius: 5, extra: 'x' });
    expect(r).toEqual({ ok: true, value: { x: 1, y: 2, vx: 3, vy: 4, radius: 5 } });
  });
  it.each([
    [undefined, 'update() returned undefined, not a ball object'],
    [null, 'update() returned null, not a ball object'],
    [42, 'update() returned 42, not a ball object'],
    [[1, 2], 'update() returned an array, not a ball object'],
    [{ x: NaN, y: 0, vx: 0, vy: 0, radius: 5 }, 'update() returned NaN for ball.x'],
    [{ x: 0, y: Infinity, vx: 0, vy: 0, radius: 5 }, 'update() returned Infinity for ball.y'],
    [{ x: 0, y: 0, vx: '1', vy: 0, radius: 5 }, 'update() returned a string for ball.vx'],
    [{ x: 0, y: 0, vx: 0, vy: 0 }, 'update() returned undefined for ball.radius'],
    [{ x: 0, y: 0, vx: 0, vy: 0, radius: 0 }, 'update() returned 0 for ball.radius'],
    [{ x: 1e9, y: 0, vx: 0, vy: 0, radius: 5 }, 'update() returned 1000000000 for ball.x'],
  ])('refuses %j', (value, message) => {
    const r = checkBall(value);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe('BAD_SCRIPT');
      expect(r.message).toContain(message);
    }
  });
});

describe('lockDown', () => {
  it('removes names from the scope and its prototypes and pins them', () => {
    const proto = { fetch: () => 'net' };
    const scope: Record<string, unknown> = Object.create(proto);
    scope['WebSocket'] = class {};
    const report = lockDown(scope, ['fetch', 'WebSocket', 'indexedDB']);
    expect(report.remaining).toEqual([]);
    expect(scope['fetch']).toBeUndefined();
    expect(scope['WebSocket']).toBeUndefined();
    expect('fetch' in proto).toBe(false);
    expect(() => {
      'use strict';
      scope['fetch'] = () => 'back';
    }).toThrow(TypeError);
    expect(scope['fetch']).toBeUndefined();
  });
  it('reports what it could not remove', () => {
    const scope = {};
    Object.defineProperty(scope, 'fetch', { value: () => 'net', configurable: false });
    expect(lockDown(scope, ['fetch']).remaining).toEqual(['fetch']);
  });
  it('lists the network and storage globals of the brief', () => {
    for (const name of [
      'fetch',
      'XMLHttpRequest',
      'WebSocket',
      'EventSource',
      'importScripts',
      'indexedDB',
    ]) {
      expect(REMOVED_GLOBALS).toContain(name);
    }
    for (const name of [
      'caches',
      'BroadcastChannel',
      'RTCPeerConnection',
      'Worker',
      'SharedWorker',
      'navigator',
    ]) {
      expect(REMOVED_GLOBALS).toContain(name);
    }
  });
});

describe('ScriptSandbox (worker_threads)', () => {
  it('runs update and checks its answer', async () => {
    const opened = await ScriptSandbox.open(BOUNCE, { spawn });
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    const r = await opened.value.step(initialBall(), world, 0.5);
    expect(r).toEqual({ ok: true, value: { x: 520, y: 390, vx: 240, vy: 180, radius: 15 } });
    opened.value.terminate();
  });

  it('refuses a module without update', async () => {
    const opened = await ScriptSandbox.open('export const x = 1;', { spawn });
    expect(opened).toMatchObject({ ok: false, code: 'BAD_SCRIPT' });
    if (!opened.ok) expect(opened.message).toContain('does not export a function update');
  });

  it('loads a module without a contract (a load check), and still refuses one whose top level throws', async () => {
    const loaded = await ScriptSandbox.open('export const tuning = { speed: 2 };', { spawn }, null);
    expect(loaded.ok).toBe(true);
    if (loaded.ok) loaded.value.terminate();
    const thrown = await ScriptSandbox.open('throw new Error("bad level");', { spawn }, null);
    expect(thrown).toMatchObject({ ok: false, message: 'loading the script failed: Error: bad level' });
  });

  it('refuses a syntax error', async () => {
    const opened = await ScriptSandbox.open('export function update( {', { spawn });
    expect(opened.ok).toBe(false);
    if (!opened.ok) expect(opened.message).toMatch(/loading the script failed: SyntaxError/);
  });

  it('stops a module whose top level never ends', async () => {
    const opened = await ScriptSandbox.open('while (true) {}\nexport function update(b) { return b; }', {
      spawn,
      loadBudgetMs: 300,
    });
    expect(opened.ok).toBe(false);
    if (!opened.ok) expect(opened.message).toContain('took longer than 300 ms');
  });

  it('terminates the worker on a throw, and stays dead', async () => {
    const opened = await ScriptSandbox.open('export function update() { throw new RangeError("boom"); }', {
      spawn,
    });
    if (!opened.ok) throw new Error(opened.message);
    const r = await opened.value.step(initialBall(), world, 0.016);
    expect(r).toMatchObject({ ok: false, message: 'update() threw RangeError: boom' });
    expect(opened.value.alive).toBe(false);
    expect(await opened.value.step(initialBall(), world, 0.016)).toMatchObject({ ok: false });
  });

  it('stops an infinite loop within the budget', async () => {
    const opened = await ScriptSandbox.open('export function update() { while (true) {} }', {
      spawn,
      budgetMs: 100,
    });
    if (!opened.ok) throw new Error(opened.message);
    const started = Date.now();
    const r = await opened.value.step(initialBall(), world, 0.016);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(r).toMatchObject({ ok: false, message: 'update() took longer than 100 ms (stopped)' });
    expect(opened.value.alive).toBe(false);
  });

  it('refuses NaN and junk', async () => {
    for (const body of [
      'return { ...b, x: NaN };',
      'return null;',
      'return () => 1;',
      'return { ...b, radius: -1 };',
    ]) {
      const opened = await ScriptSandbox.open(`export function update(b) { ${body} }`, { spawn });
      if (!opened.ok) throw new Error(opened.message);
      const r = await opened.value.step(initialBall(), world, 0.016);
      expect(r.ok, body).toBe(false);
      expect(opened.value.alive).toBe(false);
    }
  });

  it('takes network and storage globals away before the script runs', async () => {
    const probe = `
      const seen = [typeof fetch, typeof WebSocket, typeof setTimeout, typeof globalThis.navigator];
      export function update(b) { return { ...b, x: seen.every((t) => t === 'undefined') ? 1 : 0 }; }`;
    const opened = await ScriptSandbox.open(probe, { spawn });
    if (!opened.ok) throw new Error(opened.message);
    expect(await opened.value.step(initialBall(), world, 0)).toMatchObject({ ok: true, value: { x: 1 } });
    opened.value.terminate();
  });
});

describe('dryRun', () => {
  it.each([
    ['bounce', BOUNCE],
    ['gravity', GRAVITY],
    ['sine path', SINE_PATH],
  ])('runs the %s example for 300 frames', async (_, source) => {
    const report = await dryRun(source, { spawn });
    expect(report).toMatchObject({ ok: true, frames: 300 });
    expect(report.ball.x).toBeGreaterThanOrEqual(0);
    expect(report.ball.x).toBeLessThanOrEqual(800);
  });

  it('reports the frame where a script goes wrong', async () => {
    const report = await dryRun(
      'export function update(b, w) { return w.time > 1 ? { ...b, y: NaN } : b; }',
      {
        spawn,
      },
    );
    expect(report.ok).toBe(false);
    expect(report.frames).toBe(61);
    expect(report.error).toBe('frame 61: update() returned NaN for ball.y: must be a finite number');
  });
});

describe('LogicHost', () => {
  const identity = (id: string): ScriptIdentity => ({ id, version: id });

  async function frames(host: LogicHost, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      host.tick({ width: 800, height: 600, time: i / 60 }, 1 / 60);
      await sleep(5);
    }
  }

  it('moves the ball with the installed script and never blocks tick', async () => {
    const host = new LogicHost(initialBall(), { spawn });
    expect(await host.install(BOUNCE, identity('bounce'))).toMatchObject({ ok: true });
    const before: Ball = host.ball;
    await frames(host, 10);
    expect(host.ball.x).not.toBe(before.x);
    host.dispose();
  });

  it('tries a new script in one request to a worker started ahead of it', async () => {
    // Every request to every worker, in order: which worker, what kind, which source.
    const sent: { readonly worker: number; readonly kind: unknown; readonly source: unknown }[] = [];
    let workers = 0;
    const counting = (): SandboxWorker => {
      const worker = spawn();
      const number = workers++;
      return {
        ...worker,
        endpoint: {
          postMessage(message: unknown, transfer: Transferable[]) {
            const field = (key: string): unknown => Reflect.get(message as object, key);
            sent.push({ worker: number, kind: field('kind'), source: field('source') });
            worker.endpoint.postMessage(message, transfer);
          },
          addEventListener: (type, listener) => worker.endpoint.addEventListener(type, listener),
        },
      };
    };
    const host = new LogicHost(initialBall(), { spawn: counting });
    expect(await host.install(BOUNCE, identity('bounce'))).toMatchObject({ ok: true });
    await sleep(50);
    const before = sent.length;
    expect(await host.install(GRAVITY, identity('gravity'))).toMatchObject({ ok: true });
    const load = sent.find(({ kind, source }) => kind === 'load' && source === GRAVITY);
    const toIt = sent.filter(({ worker }) => worker === load?.worker);
    // The spare was started before the script came; the script's load and trial were one request.
    expect(toIt.map(({ kind }) => kind)).toEqual(['start', 'load']);
    expect(sent.indexOf(toIt[0]!)).toBeLessThan(before);
    // A script the trial refuses, and one without the contract's function, still fail in one request.
    const hang = await host.install('export function update() { while (true) {} }', identity('hang'));
    expect(hang).toMatchObject({
      ok: false,
      fault: 'timeout',
      message: expect.stringMatching(/^trial call 0: /),
    });
    const none = await host.install('export const x = 1;', identity('none'));
    expect(none).toMatchObject({ ok: false, message: expect.stringContaining('does not export a function') });
    expect(host.running?.id).toBe('gravity');
    host.dispose();
  });

  it('refuses a bad script at its trial and keeps the running one', async () => {
    const host = new LogicHost(initialBall(), { spawn, budgetMs: 100 });
    await host.install(BOUNCE, identity('bounce'));
    for (const bad of [
      'export function update() { while (true) {} }',
      'export function update() { throw new Error("nope"); }',
      'export function update(b) { return { ...b, x: NaN }; }',
    ]) {
      const r = await host.install(bad, identity('bad'));
      expect(r.ok).toBe(false);
      expect(host.running?.id).toBe('bounce');
    }
    const x = host.ball.x;
    await frames(host, 5);
    expect(host.ball.x).not.toBe(x);
    host.dispose();
  });

  it('falls back to the standby when a running script fails later', async () => {
    const failures: [string, string, string | null][] = [];
    // A budget that a starved machine (two cores, parallel test files) still meets for honest calls.
    const host = new LogicHost(initialBall(), {
      spawn,
      budgetMs: 400,
      onFailure: (failed, error, now) => failures.push([failed.id, error, now?.id ?? null]),
    });
    await host.install(BOUNCE, identity('bounce'));
    // Passes its trial (world.time < 1 there), then hangs once the game clock passes 1 s.
    const late =
      'export function update(b, w, dt) { if (w.time > 1) while (true) {} return { ...b, x: b.x + 1 }; }';
    expect(await host.install(late, identity('late'))).toMatchObject({ ok: true });
    expect(host.running?.id).toBe('late');
    for (let i = 0; i < 100 && failures.length === 0; i++) {
      host.tick({ width: 800, height: 600, time: 2 }, 1 / 60);
      await sleep(20);
    }
    expect(failures).toEqual([['late', 'update() took longer than 400 ms (stopped)', 'bounce']]);
    expect(host.running?.id).toBe('bounce');
    // The standby (a fresh sandbox loaded with the bounce source) takes over and moves the ball.
    const x = host.ball.x;
    // Up to 15 s: on a starved machine a fresh Node worker (tsx compiling it) takes seconds to start.
    for (const until = Date.now() + 15_000; host.ball.x === x && Date.now() < until;) {
      await frames(host, 1);
    }
    expect(host.ball.x).not.toBe(x);
    host.dispose();
  });
});
