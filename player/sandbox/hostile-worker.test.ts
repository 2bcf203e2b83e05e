/**
 * The page side against a worker that lies: whatever a (compromised) worker sends, says or doesn't
 * say, the sandbox fails that script, terminates the worker and goes on; the logic host never sticks,
 * and never blames a script for its own failures. The worker here is a fake on purpose — a real one
 * can't be made to misbehave this way (its script lives inside QuickJS): this is defence in depth.
 */
import { describe, expect, it } from 'vitest';
import { BALL_CONTRACT, initialBall, type Ball } from './contract.ts';
import { PING_INTERVAL_MS, ScriptSandbox, type SandboxWorker, type ScriptFailure } from './sandbox.ts';
import { LogicHost, type ScriptIdentity } from './logic-host.ts';
import { fake, honest, turnsAt, type Fake, type Request } from './fake-worker.ts';

const world = { width: 800, height: 600, time: 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function openWith(worker: Fake, budgetMs = 200): Promise<ScriptSandbox> {
  const opened = await ScriptSandbox.open('source', { spawn: () => worker, budgetMs });
  if (!opened.ok) throw new Error(opened.message);
  return opened.value;
}

describe('ScriptSandbox against a lying worker', () => {
  it.each([
    [
      'an error that cannot be turned into text',
      { ok: false, fault: 'script', error: { toString: 0, valueOf: 0 } },
    ],
    ['an error object', { ok: false, error: { toString: 0, valueOf: 0 } }],
    ['a result that is not JSON text', { ok: true, value: { toString: 0, valueOf: 0 } }],
    ['a result that is not JSON', { ok: true, value: '{x:' }],
    ['a wrong ok', { ok: 'yes' }],
    ['null', null],
    ['a string', 'ok'],
    ['an array', [true]],
  ])('fails the script and terminates the worker on %s', async (_, junk) => {
    const worker = fake(turnsAt(1, (_request, port) => port.postMessage(junk)));
    const sandbox = await openWith(worker);
    const r = await sandbox.step(initialBall(), world, 0.016);
    expect(r).toMatchObject({ ok: false, code: 'BAD_SCRIPT', fault: 'script', transient: false });
    expect(worker.terminated).toBe(true);
    expect(sandbox.alive).toBe(false);
  });

  it('fails a load answered with junk', async () => {
    const worker = fake((request, port) =>
      port.postMessage(
        request.kind === 'load' ? { ok: true, value: [{ toString: 0 }] } : { ok: true, value: null },
      ),
    );
    const opened = await ScriptSandbox.open('source', { spawn: () => worker });
    expect(opened).toMatchObject({ ok: false, message: 'the sandbox answered junk', transient: false });
    expect(worker.terminated).toBe(true);
  });

  it.each([
    ['the names alone (a load without its trial)', ['update']],
    ['too few results', { exports: ['update'], results: ['{"x":1}'] }],
    ['exports that are not names', { exports: [1], results: [] }],
    ['a result that is not JSON text', { exports: ['update'], results: [{}, {}, {}] }],
  ])('fails a load with trial calls answered with %s', async (_, value) => {
    const ball = initialBall();
    const started = await ScriptSandbox.start({
      spawn: () =>
        fake((request, port) =>
          port.postMessage({ ok: true, value: request.kind === 'load' ? value : null }),
        ),
    });
    if (!started.ok) throw new Error(started.message);
    const calls = [
      [ball, world, 0.016],
      [ball, world, 0.016],
      [ball, world, 0.016],
    ];
    const tried = await started.value.loadAndTry('source', {}, BALL_CONTRACT, calls, true);
    expect(tried).toMatchObject({ ok: false, fault: 'script', transient: false });
    expect(started.value.alive).toBe(false);
  });

  it('times out a call that is never answered, transiently (a starved machine looks the same)', async () => {
    const worker = fake(turnsAt(1, () => undefined));
    const sandbox = await openWith(worker, 100);
    const started = Date.now();
    const r = await sandbox.step(initialBall(), world, 0.016);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(r).toMatchObject({
      ok: false,
      message: 'update() took longer than 100 ms (stopped)',
      transient: true,
    });
    expect(worker.terminated).toBe(true);
  });

  it('terminates a worker that sends anything unasked, and tells its owner', async () => {
    const worker = fake();
    const sandbox = await openWith(worker);
    const lost: ScriptFailure[] = [];
    sandbox.onLost = (failure) => lost.push(failure);
    expect((await sandbox.step(initialBall(), world, 0.016)).ok).toBe(true);
    worker.target.dispatchEvent(new Event('message'));
    expect(worker.terminated).toBe(true);
    expect(lost).toMatchObject([
      { message: 'the sandbox sent a message it was not asked for', transient: false },
    ]);
    expect(await sandbox.step(initialBall(), world, 0.016)).toMatchObject({ ok: false });
  });

  it('ignores a second answer to one request: its port is closed', async () => {
    const worker = fake((request, port) => {
      honest(request, port);
      if (request.kind === 'call') port.postMessage({ ok: 'junk' });
    });
    const sandbox = await openWith(worker);
    for (let i = 0; i < 3; i++) expect((await sandbox.step(initialBall(), world, 0.016)).ok).toBe(true);
    expect(sandbox.alive).toBe(true);
    sandbox.terminate();
  });

  it('terminates an idle worker that does not answer a ping', async () => {
    const worker = fake((request, port) => {
      if (request.kind !== 'ping') honest(request, port);
    });
    const sandbox = await openWith(worker);
    const lost: ScriptFailure[] = [];
    sandbox.onLost = (failure) => lost.push(failure);
    await sleep(PING_INTERVAL_MS * 2 + 500);
    expect(worker.terminated).toBe(true);
    expect(lost).toMatchObject([
      { message: 'the sandbox did not answer a ping between calls', transient: true },
    ]);
  });

  it('keeps an idle worker that answers its pings', async () => {
    const worker = fake();
    const sandbox = await openWith(worker);
    await sleep(PING_INTERVAL_MS * 2 + 500);
    expect(sandbox.alive).toBe(true);
    sandbox.terminate();
  });

  it('reports a worker that cannot start as the sandbox’s failure, not the script’s', async () => {
    const thrown = await ScriptSandbox.open('source', {
      spawn: () => {
        throw { toString: 0, valueOf: 0 };
      },
    });
    expect(thrown).toMatchObject({ ok: false, fault: 'host', transient: true });
    const noEngine = await ScriptSandbox.open('source', {
      spawn: () => ({ ...fake(), wasm: () => Promise.reject(new Error('no engine')) }),
    });
    expect(noEngine).toMatchObject({ ok: false, fault: 'host', transient: true });
  });
});

describe('LogicHost against a lying worker', () => {
  const id = (name: string): ScriptIdentity => ({ id: name, version: name });

  /** A host whose workers answer as the source says: `junk@N` lies at call N, else honest. */
  function host(workers: Fake[], onFailure?: (failed: string, transient: boolean) => void): LogicHost {
    return new LogicHost(initialBall(), {
      budgetMs: 200,
      onFailure: (failed, _error, _now, transient) => onFailure?.(failed.id, transient),
      spawn: () => {
        let source = '';
        let calls = 0;
        const worker = fake((request, port) => {
          if (request.kind === 'load') source = request.source ?? '';
          const at = /^junk@(\d+)$/.exec(source);
          if (request.kind === 'call' && at && ++calls >= Number(at[1])) {
            port.postMessage({ ok: false, error: { toString: 0 } });
          } else honest(request, port);
        });
        workers.push(worker);
        return worker;
      },
    });
  }

  it('refuses a script that lies during its trial and installs the next good one', async () => {
    const workers: Fake[] = [];
    const h = host(workers);
    expect((await h.install('good-1', id('good-1'))).ok).toBe(true);
    const bad = await h.install('junk@3', id('bad'));
    expect(bad).toMatchObject({ ok: false, transient: false });
    expect(h.running?.id).toBe('good-1');
    expect(await h.install('good-2', id('good-2'))).toEqual({ ok: true, value: id('good-2') });
    expect(h.running?.id).toBe('good-2');
    h.dispose();
  });

  it('loads a new script and makes its trial calls in one request, to a worker started before it came', async () => {
    // Every request to every worker, in order, with the worker it went to.
    const sent: { readonly worker: number; readonly request: Request }[] = [];
    const seen = new Map<number, Ball[]>();
    let workers = 0;
    const h = new LogicHost(initialBall(), {
      spawn: () => {
        const number = workers++;
        // Each call the worker makes (the trial's, one by one) records the ball it got.
        const worker = fake((request, port) => {
          if (request.kind === 'call') {
            seen.set(number, [...(seen.get(number) ?? []), (JSON.parse(request.args ?? '[]') as [Ball])[0]]);
          }
          honest(request, port);
        });
        const post = worker.endpoint.postMessage.bind(worker.endpoint);
        return {
          ...worker,
          endpoint: {
            postMessage: (message: unknown, transfer: Transferable[]) => {
              sent.push({ worker: number, request: message as Request });
              post(message, transfer);
            },
            addEventListener: worker.endpoint.addEventListener,
          },
        };
      },
    });
    expect((await h.install('a', id('a'))).ok).toBe(true);
    await sleep(20);
    const before = sent.length;
    expect((await h.install('b', id('b'))).ok).toBe(true);
    const load = sent.find(({ request }) => request.kind === 'load' && request.source === 'b');
    const toB = sent.filter(({ worker }) => worker === load?.worker);
    // The spare: started before the script came, then one request for the load and the trial.
    expect(toB.map(({ request }) => request.kind)).toEqual(['start', 'load']);
    expect(sent.indexOf(toB[0]!)).toBeLessThan(before);
    expect(load?.request.trial).toMatchObject({ chain: true, entries: ['update', 'default'] });
    expect(load?.request.trial?.calls).toHaveLength(3);
    const x = initialBall().x;
    expect(seen.get(load!.worker)?.map((b) => b.x)).toEqual([x, x + 1, x + 2]);
    h.dispose();
  });

  it('names the trial call that failed, checking the answers before it first', async () => {
    const h = new LogicHost(initialBall(), {
      spawn: () =>
        fake(
          turnsAt(2, (_request, port) =>
            port.postMessage({ ok: false, fault: 'script', error: 'update() threw Error: no' }),
          ),
        ),
    });
    expect(await h.install('a', id('a'))).toMatchObject({
      ok: false,
      transient: false,
      message: 'trial call 1: update() threw Error: no',
    });
    // A junk answer before a timeout is the failure reported: the script's, not transient.
    let calls = 0;
    const h2 = new LogicHost(initialBall(), {
      budgetMs: 50,
      spawn: () =>
        fake((request, port) => {
          if (request.kind !== 'call') return honest(request, port);
          port.postMessage(
            ++calls === 1
              ? { ok: true, value: '{"x":"junk"}' }
              : { ok: false, fault: 'timeout', error: 'interrupted' },
          );
        }),
    });
    expect(await h2.install('a', id('a'))).toMatchObject({
      ok: false,
      transient: false,
      message: expect.stringMatching(/^trial call 0: /),
    });
    h.dispose();
    h2.dispose();
  });

  it('keeps installing after a failure of its own, and calls that one transient', async () => {
    let fail = true;
    const h = new LogicHost(initialBall(), {
      spawn: () => {
        if (fail) throw new Error('no worker for you');
        return fake();
      },
    });
    expect(await h.install('a', id('a'))).toMatchObject({ ok: false, transient: true });
    fail = false;
    expect((await h.install('b', id('b'))).ok).toBe(true);
    h.dispose();
  });

  it('replaces a standby that dies while it waits, without blaming its script', async () => {
    const workers: Fake[] = [];
    const failures: [string, boolean][] = [];
    const h = host(workers, (failed, transient) => failures.push([failed, transient]));
    await h.install('good', id('good'));
    await h.install('junk@15', id('liar'));
    const goodWorkers = () => workers.filter((w) => w.loaded.includes('good'));
    for (let i = 0; i < 100 && goodWorkers().length < 2; i++) await sleep(10);
    // The standby speaks unasked: it is terminated and a fresh one loads the same script.
    goodWorkers()[1]?.target.dispatchEvent(new Event('message'));
    expect(goodWorkers()[1]?.terminated).toBe(true);
    for (let i = 0; i < 100 && goodWorkers().length < 3; i++) await sleep(10);
    expect(goodWorkers().length).toBe(3);
    for (let i = 0; i < 60 && h.running?.id !== 'good'; i++) {
      h.tick(world, 1 / 60);
      await sleep(10);
    }
    expect(failures).toEqual([['liar', false]]);
    expect(h.running?.id).toBe('good');
    h.dispose();
  });

  it('drops a running script whose worker starts lying, and goes on with a fresh standby', async () => {
    const workers: Fake[] = [];
    const failures: [string, boolean][] = [];
    const h = host(workers, (failed, transient) => failures.push([failed, transient]));
    await h.install('good', id('good'));
    await h.install('junk@15', id('liar'));
    // The worker that ran `good` was terminated when it was replaced; the standby is a fresh one.
    const goodWorkers = () => workers.filter((w) => w.loaded.includes('good'));
    for (let i = 0; i < 100 && goodWorkers().length < 2; i++) await sleep(10);
    expect(goodWorkers().length).toBe(2);
    expect(goodWorkers()[0]?.terminated).toBe(true);
    expect(goodWorkers()[1]?.terminated).toBe(false);
    for (let i = 0; i < 40 && h.running?.id !== 'good'; i++) {
      h.tick(world, 1 / 60);
      await sleep(10);
    }
    expect(failures).toEqual([['liar', false]]);
    expect(h.running?.id).toBe('good');
    const x = h.ball.x;
    for (let i = 0; i < 40 && h.ball.x === x; i++) {
      h.tick(world, 1 / 60);
      await sleep(10);
    }
    expect(h.ball.x).toBeGreaterThan(x);
    expect(workers.filter((w) => w.loaded.includes('junk@15')).every((w) => w.terminated)).toBe(true);
    h.dispose();
    expect(workers.every((w) => w.terminated || w.loaded.length === 0)).toBe(true);
  });
});
