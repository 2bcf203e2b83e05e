/**
 * The sandbox worker (browser entry), started from its own URL so that it runs under its own
 * Content-Security-Policy (`default-src 'none'`, set by the relay's static server: see
 * docs/security.md). Order matters: every network, storage and timer global of the worker scope goes
 * first — defence in depth, since scripts run inside QuickJS and never see this scope — and only
 * then does it answer the page. If anything could not be removed, it refuses to start an engine.
 */
import { lockDown } from './lockdown.ts';
import { serveSandbox } from './serve.ts';
import { ScriptEngine } from './engine.ts';

const { remaining } = lockDown(self);
serveSandbox(self, (wasm, memoryBytes) =>
  remaining.length === 0
    ? ScriptEngine.open(wasm, { memoryBytes })
    : Promise.reject(new Error(`the sandbox could not remove ${remaining.join(', ')}`)),
);
