/**
 * `npm run bench -- player --probe`: a second, independent clock on when a release reaches each page.
 * A dedicated worker on the page opens a WebSocket of its own to the relay (a bare player hello:
 * no blobs pushed, no acks) and notes when each `release` message arrives; the page's main thread
 * notes its long tasks (`PerformanceObserver`, `longtask`). Beside the client's `received` mark this
 * says how long the release waited for the page's main thread rather than for the relay or the
 * network. The worker starts from a `blob:` URL, which the page's CSP (`worker-src 'self'`) refuses,
 * so probed players run in contexts that bypass the CSP.
 */
import type { Page } from 'playwright-core';

/** The probe worker: one socket, the first arrival time of each release seq (epoch ms). */
const WORKER_SOURCE = `
const times = {};
self.onmessage = (event) => {
  const { url, clientId } = event.data;
  if (!url) return self.postMessage(times);
  const socket = new WebSocket(url);
  socket.onopen = () =>
    socket.send(JSON.stringify({ type: 'hello', v: 1, room: 'demo', role: 'player', clientId, seq: 0, slots: {} }));
  socket.onmessage = (m) => {
    const at = performance.timeOrigin + performance.now();
    if (typeof m.data !== 'string' || !m.data.includes('"release"')) return;
    const message = JSON.parse(m.data);
    const seq = message.type === 'release' ? message.signed?.release?.seq : undefined;
    if (typeof seq === 'number') times[seq] ??= at;
  };
};`;

/** Starts the probe on `page`: the worker's socket to `relayUrl`'s `/ws`, and the long-task log. */
export async function startSocketProbe(page: Page, relayUrl: string, clientId: string): Promise<void> {
  const url = `${relayUrl.replace(/^http/, 'ws')}/ws`;
  await page.evaluate(
    ([source, wsUrl, id]) => {
      const blob = new Blob([source ?? ''], { type: 'text/javascript' });
      const worker = new Worker(URL.createObjectURL(blob), { name: 'bench-socket-probe' });
      worker.postMessage({ url: wsUrl, clientId: id });
      const tasks: [number, number][] = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) tasks.push([performance.timeOrigin + e.startTime, e.duration]);
      }).observe({ type: 'longtask' });
      Reflect.set(window, '__socketProbe', { worker, tasks });
    },
    [WORKER_SOURCE, url, clientId],
  );
}

/** What the probe saw of release `seq`: when its worker socket got it, and the page's long tasks. */
export interface ProbeReading {
  /** Epoch ms the worker's socket got the release (undefined: not seen). */
  readonly socketAt: number | undefined;
  /** The page's main-thread long tasks as [start epoch ms, duration ms]. */
  readonly longTasks: readonly (readonly [number, number])[];
}

/** Reads the probe on `page` for release `seq`. */
export async function readSocketProbe(page: Page, seq: number): Promise<ProbeReading> {
  const raw: unknown = await page.evaluate(async (s) => {
    const probe: unknown = Reflect.get(window, '__socketProbe');
    if (typeof probe !== 'object' || probe === null) return null;
    const worker: unknown = Reflect.get(probe, 'worker');
    if (!(worker instanceof Worker)) return null;
    const times = await new Promise<unknown>((resolve) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.postMessage({});
    });
    const at = typeof times === 'object' && times !== null ? Reflect.get(times, String(s)) : undefined;
    return { socketAt: typeof at === 'number' ? at : undefined, longTasks: Reflect.get(probe, 'tasks') };
  }, seq);
  if (typeof raw !== 'object' || raw === null) return { socketAt: undefined, longTasks: [] };
  const socketAt: unknown = Reflect.get(raw, 'socketAt');
  const tasks: unknown = Reflect.get(raw, 'longTasks');
  const longTasks = Array.isArray(tasks)
    ? tasks.filter(
        (t): t is [number, number] =>
          Array.isArray(t) && typeof t[0] === 'number' && typeof t[1] === 'number',
      )
    : [];
  return { socketAt: typeof socketAt === 'number' ? socketAt : undefined, longTasks };
}

/**
 * The page's main-thread time in long tasks between `from` and `to` (epoch ms): how much of the
 * wait for the release the page spent running something else (frames, on the demo page).
 */
export function longTaskMsBetween(
  longTasks: readonly (readonly [number, number])[],
  from: number,
  to: number,
): number {
  let sum = 0;
  for (const [start, duration] of longTasks) {
    const overlap = Math.min(to, start + duration) - Math.max(from, start);
    if (overlap > 0) sum += overlap;
  }
  return sum;
}

/** One row of the probe's table: a kind and mode, with every player's wait and long-task ms. */
export interface ProbeRow {
  readonly label: string;
  /** `received` minus `socket (worker)`, ms. */
  readonly waits: readonly number[];
  /** Main-thread long-task ms in between. */
  readonly longTasks: readonly number[];
}

/** Prints the probe's table; `quantile` and `ms` are the benchmark's own (p50 / p95, formatting). */
export function printProbe(
  rows: readonly ProbeRow[],
  quantile: (values: readonly number[], p: number) => number,
  ms: (t: number) => string,
): void {
  console.log(
    '\nThe release in a worker of the page vs on its main thread: `received` minus `socket (worker)`, ' +
      "and the page's main-thread long tasks in between (p50 / p95 over all players and runs)\n",
  );
  console.log('| patch | players | worker → received p50 | p95 | long tasks in between p50 | p95 |');
  console.log('|---|---|---|---|---|---|');
  for (const { label, waits, longTasks } of rows) {
    console.log(
      `| ${label} | ${ms(quantile(waits, 50))} | ${ms(quantile(waits, 95))} | ` +
        `${ms(quantile(longTasks, 50))} | ${ms(quantile(longTasks, 95))} |`,
    );
  }
}
