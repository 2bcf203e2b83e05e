/**
 * The engine on its own (QuickJS in this process): what a script can reach, and the limits that
 * stop it — time, memory, stack, result size — whatever it returns or throws.
 */
import { describe, expect, it } from 'vitest';
import { MAX_RESULT_CHARS, ScriptEngine } from './engine.ts';
import { reviveNonFinite } from './wire.ts';

async function engineWith(source: string, memoryBytes = 32 << 20): Promise<ScriptEngine> {
  const engine = await ScriptEngine.open(null, { memoryBytes });
  const loaded = engine.load(source, 1_000);
  if (!loaded.ok) throw new Error(loaded.error);
  return engine;
}

function call(engine: ScriptEngine, args: unknown[] = [], budgetMs = 200) {
  return engine.call('f', JSON.stringify(args), budgetMs);
}

describe('ScriptEngine', () => {
  it('lists the exported functions and calls one with JSON data', async () => {
    const engine = await ScriptEngine.open(null);
    expect(
      engine.load('export function f(a, b) { return { sum: a.n + b }; } export const k = 1;', 500),
    ).toEqual({
      ok: true,
      value: ['f'],
    });
    expect(call(engine, [{ n: 2 }, 3])).toEqual({ ok: true, value: '{"sum":5}' });
    engine.dispose();
  });

  it('gives a script nothing but ECMAScript: no messaging, timers, network, workers or WebAssembly', async () => {
    const names = [
      'postMessage',
      'onmessage',
      'self',
      'addEventListener',
      'setTimeout',
      'setInterval',
      'queueMicrotask',
      'MessageChannel',
      'AbortSignal',
      'fetch',
      'XMLHttpRequest',
      'WebSocket',
      'Worker',
      'importScripts',
      'WebAssembly',
      'SharedArrayBuffer',
      'indexedDB',
      'navigator',
      'performance',
      'require',
      'process',
    ];
    const engine = await engineWith(
      `export function f(names) { return names.filter((n) => typeof globalThis[n] !== 'undefined'); }`,
    );
    expect(call(engine, [names])).toEqual({ ok: true, value: '[]' });
    engine.dispose();
  });

  it('refuses a module that imports anything', async () => {
    const engine = await ScriptEngine.open(null);
    const loaded = engine.load(
      `import x from 'https://example.com/x.js'; export function f() { return x; }`,
      500,
    );
    expect(loaded).toMatchObject({ ok: false, fault: 'script' });
    engine.dispose();
  });

  it('settles top-level await within the load, and refuses one that never settles', async () => {
    const ok = await engineWith('const v = await Promise.resolve(2); export function f() { return v; }');
    expect(call(ok)).toEqual({ ok: true, value: '2' });
    const engine = await ScriptEngine.open(null);
    expect(engine.load('await new Promise(() => {}); export function f() {}', 500)).toMatchObject({
      ok: false,
      error: expect.stringContaining('never finished loading'),
    });
  });

  it('stops an endless loop at the deadline', async () => {
    const engine = await engineWith('export function f() { while (true) {} }');
    const started = performance.now();
    expect(call(engine, [], 50)).toEqual({ ok: false, fault: 'timeout', error: 'interrupted' });
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('stops unbounded allocation at its memory ceiling', async () => {
    for (const body of [
      'const a = []; while (true) a.push(new Array(1000).fill(1));',
      'return new Array(1e8).fill(1).length;',
      "const a = []; while (true) a.push('x'.repeat(1000) + Math.random());",
    ]) {
      const engine = await engineWith(`export function f() { ${body} }`, 32 << 20);
      expect(call(engine, [], 5_000), body).toMatchObject({ ok: false, fault: 'memory' });
    }
  });

  it('stops deep recursion', async () => {
    const engine = await engineWith('export function f() { return f() + 1; }');
    expect(call(engine)).toMatchObject({
      ok: false,
      fault: 'script',
      error: expect.stringMatching(/stack/i),
    });
  });

  it('runs getters, proxies and toJSON of a result inside the engine, under the deadline', async () => {
    const getter = await engineWith('export function f() { return { get x() { return 7; } }; }');
    expect(call(getter)).toEqual({ ok: true, value: '{"x":7}' });
    const proxy = await engineWith(
      'export function f() { return new Proxy({}, { ownKeys() { while (true) {} } }); }',
    );
    expect(call(proxy, [], 50)).toMatchObject({ ok: false, fault: 'timeout' });
    const huge = await engineWith(
      `export function f() { return { toJSON() { return 'x'.repeat(${MAX_RESULT_CHARS + 1}); } }; }`,
    );
    expect(call(huge)).toMatchObject({
      ok: false,
      fault: 'script',
      error: expect.stringContaining('more than'),
    });
  });

  it('describes a thrown value without running its conversions', async () => {
    const hostile = await engineWith('export function f() { throw { toString: 0, valueOf: 0 }; }');
    expect(call(hostile)).toEqual({
      ok: false,
      fault: 'script',
      error: 'f() threw a value that cannot be described',
    });
    const error = await engineWith('export function f() { throw new TypeError("nope"); }');
    expect(call(error)).toEqual({ ok: false, fault: 'script', error: 'f() threw TypeError: nope' });
    const text = await engineWith('export function f() { throw "plain"; }');
    expect(call(text)).toEqual({ ok: false, fault: 'script', error: 'f() threw "plain"' });
  });

  it('passes NaN and infinities back so that a validator can name them', async () => {
    const engine = await engineWith('export function f() { return [NaN, Infinity, -Infinity, 1]; }');
    const r = call(engine);
    if (!r.ok || r.value === undefined) throw new Error('no value');
    expect(JSON.parse(r.value, reviveNonFinite)).toEqual([NaN, Infinity, -Infinity, 1]);
  });

  it('runs promise jobs within the call that queued them, and nothing between calls', async () => {
    const engine = await engineWith(`
      let ticks = 0;
      export function f() { Promise.resolve().then(() => ticks++); return ticks; }`);
    expect(call(engine)).toEqual({ ok: true, value: '0' });
    await new Promise((r) => setTimeout(r, 50));
    expect(call(engine)).toEqual({ ok: true, value: '1' });
    expect(call(engine)).toEqual({ ok: true, value: '2' });
    // A chain that never ends is a loop like any other: stopped at the deadline.
    const spinner = await engineWith(`
      const spin = () => Promise.resolve().then(spin);
      export function f() { spin(); return 1; }`);
    expect(call(spinner, [], 50)).toMatchObject({ ok: false, fault: 'timeout' });
  });
});
