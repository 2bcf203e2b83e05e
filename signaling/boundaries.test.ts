/**
 * Seams inside the relay that the import graph must keep: the relay itself (hub, HTTP API,
 * transports, relay service, server) knows no demo content — only `patchcast serve` creates the demo
 * room — and the hub and the HTTP API reach rooms, releases and blobs through the relay service,
 * never through the store.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

/** Non-test `.ts` files of a folder of signaling/ (or one file). */
function sources(path: string): string[] {
  const full = join(here, path);
  if (full.endsWith('.ts')) return [full];
  return readdirSync(full)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
    .map((name) => join(full, name));
}

/** The files a source imports, resolved, relative to signaling/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);
  return specifiers.filter((s) => s.startsWith('.')).map((s) => relative(here, resolve(dirname(file), s)));
}

const RELAY = ['hub', 'http', 'transports', 'relay', 'server.ts', 'metrics.ts'];

describe('relay import seams', () => {
  it('the relay imports no demo content', () => {
    const offenders = RELAY.flatMap(sources).flatMap((file) =>
      importsOf(file)
        .filter((target) => target.startsWith('demo/'))
        .map((target) => `${relative(here, file)} → ${target}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the hub and the HTTP API use the relay service, not the store', () => {
    const offenders = ['hub', 'http'].flatMap(sources).flatMap((file) =>
      importsOf(file)
        .filter((target) => target === 'store/store.ts')
        .map((target) => `${relative(here, file)} → ${target}`),
    );
    expect(offenders).toEqual([]);
  });

  it('sees the imports it checks (the check itself can fail)', () => {
    expect(importsOf(join(here, 'server.ts'))).toContain('relay/relay.ts');
    expect(importsOf(join(here, 'cli/serve.ts'))).toContain('demo/demo-room.ts');
  });
});
