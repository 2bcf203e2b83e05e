/**
 * The import graph of `docs/architecture.md`, enforced: every import of non-test code under
 * protocol/, player/, publisher/, signaling/ and admin-site/ is read, and an edge the graph forbids
 * fails this test (with the file and the import). Tests (`*.test.ts`, `testing/`, `tests/`) may
 * import anything.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = normalize(join(import.meta.dirname, '..'));
const SCANNED = ['protocol', 'player', 'publisher', 'signaling', 'admin-site'];

/** The parts of the graph, most specific first. */
type Part =
  'protocol' | 'player/core' | 'player' | 'publisher' | 'signaling/cli' | 'signaling' | 'admin-site';

/** Which parts each part may import (itself included). */
const ALLOWED: Readonly<Record<Part, readonly Part[]>> = {
  protocol: ['protocol'],
  'player/core': ['player/core', 'protocol'],
  player: ['player', 'player/core', 'protocol'],
  publisher: ['publisher', 'protocol'],
  signaling: ['signaling', 'protocol'],
  // The CLI reaches the player through its Node adapter only (checked below).
  'signaling/cli': ['signaling/cli', 'signaling', 'publisher', 'player', 'player/core', 'protocol'],
  'admin-site': ['admin-site', 'publisher', 'player', 'player/core', 'protocol'],
};

/** Packages a part may import at run time (bare specifiers); `*` for any. */
const PACKAGES: Readonly<Record<Part, readonly string[] | '*'>> = {
  protocol: ['valibot'],
  // The core is platform-free: no storage, socket, WebRTC, DOM-library or Node module.
  'player/core': ['valibot'],
  player: '*',
  publisher: '*',
  signaling: '*',
  'signaling/cli': '*',
  'admin-site': '*',
};

/** Modules that tie code to a platform: never in the player core, not even for types. */
const PLATFORM = /^(node:|idb-keyval$|ws$|peerjs$|three($|\/)|node-datachannel($|\/)|sharp$|comlink($|\/))/;

/** The part a repo-relative path belongs to, or null outside the graph. */
export function partOf(path: string): Part | null {
  const p = path.split('\\').join('/');
  if (p.startsWith('player/core/')) return 'player/core';
  if (p.startsWith('signaling/cli/')) return 'signaling/cli';
  for (const part of ['protocol', 'player', 'publisher', 'signaling', 'admin-site'] as const)
    if (p.startsWith(`${part}/`)) return part;
  return null;
}

/** One import of a file: its specifier, and whether it is types only. */
export interface Import {
  readonly spec: string;
  readonly typeOnly: boolean;
}

/** The imports of a source text (static, re-exports, side-effect and dynamic). */
export function importsOf(source: string): Import[] {
  const out: Import[] = [];
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const m of text.matchAll(/\b(import|export)\s+(type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g))
    out.push({ spec: m[3]!, typeOnly: m[2] !== undefined });
  for (const m of text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm))
    out.push({ spec: m[1]!, typeOnly: false });
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    // `typeof import('x')` in a type position is types only.
    const before = text.slice(Math.max(0, m.index! - 7), m.index!);
    out.push({ spec: m[1]!, typeOnly: /typeof\s*$/.test(before) });
  }
  return out;
}

/** Why the edge `file` → `imp` is forbidden, or null when it is allowed. */
export function violation(file: string, imp: Import): string | null {
  const from = partOf(file);
  if (!from) return null;
  if (imp.spec.startsWith('.')) {
    const target = relative(ROOT, join(ROOT, dirname(file), imp.spec.split('?')[0]!))
      .split('\\')
      .join('/');
    const to = partOf(target);
    if (!to) return `${file} imports ${imp.spec}, outside the graph`;
    if (!ALLOWED[from].includes(to)) return `${file} (${from}) imports ${target} (${to})`;
    if (
      from === 'signaling/cli' &&
      (to === 'player' || to === 'player/core') &&
      !target.startsWith('player/node/')
    )
      return `${file} imports ${target}: the CLI takes the player through its Node adapter (player/node/)`;
    return null;
  }
  if (from === 'player/core' && PLATFORM.test(imp.spec))
    return `${file} (the player core) imports ${imp.spec}`;
  const allowed = PACKAGES[from];
  if (imp.typeOnly || allowed === '*') return null;
  const pkg = imp.spec.startsWith('@') ? imp.spec.split('/').slice(0, 2).join('/') : imp.spec.split('/')[0]!;
  return allowed.includes(pkg) ? null : `${file} (${from}) imports the package ${imp.spec}`;
}

function isTest(path: string): boolean {
  // (Dev tools such as admin-site/tools/screenshots.ts drive the tests' helpers; they ship nowhere.)
  return /\.test\.ts$/.test(path) || /(^|\/)(testing|tools)\//.test(path);
}

function sources(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' });
  } catch {
    return []; // (publisher/ may not exist yet)
  }
  return names
    .map((n) => `${dir}/${n.split('\\').join('/')}`)
    .filter((p) => /\.(ts|mjs|astro)$/.test(p) && !p.endsWith('.d.ts') && !isTest(p));
}

describe('the import graph (docs/architecture.md)', () => {
  it('every import of non-test code follows it', () => {
    const files = SCANNED.flatMap(sources);
    expect(files.length).toBeGreaterThan(100);
    const broken = files.flatMap((file) =>
      importsOf(readFileSync(join(ROOT, file), 'utf8'))
        .map((imp) => violation(file, imp))
        .filter((v): v is string => v !== null),
    );
    expect(broken).toEqual([]);
  });

  it('fails on the edges it forbids', () => {
    const rel = (spec: string, typeOnly = false) => ({ spec, typeOnly });
    expect(violation('protocol/accept.ts', rel('../player/core/status.ts'))).not.toBeNull();
    expect(violation('protocol/accept.ts', rel('node:fs'))).not.toBeNull();
    expect(violation('signaling/hub/hub.ts', rel('../../player/core/patch-client.ts'))).not.toBeNull();
    expect(violation('player/core/patch-client.ts', rel('../browser/idb-cache.ts'))).not.toBeNull();
    expect(violation('player/core/patch-client.ts', rel('../../signaling/metrics.ts'))).not.toBeNull();
    expect(violation('player/core/cache.ts', rel('idb-keyval'))).not.toBeNull();
    expect(violation('player/core/x.ts', rel('peerjs', true))).not.toBeNull();
    expect(violation('player/core/x.ts', rel('node:crypto'))).not.toBeNull();
    expect(violation('publisher/publish.ts', rel('../signaling/http/api.ts'))).not.toBeNull();
    expect(violation('signaling/cli/play.ts', rel('../../player/core/patch-client.ts'))).not.toBeNull();
    expect(violation('admin-site/lib/x.ts', rel('../../signaling/server.ts'))).not.toBeNull();
    // …and lets the allowed ones through.
    expect(violation('signaling/cli/play.ts', rel('../../player/node/index.ts'))).toBeNull();
    expect(violation('player/node/tcp-transport.ts', rel('node:net'))).toBeNull();
    expect(violation('player/swarm/player-swarm.ts', rel('peerjs', true))).toBeNull();
    expect(violation('admin-site/lib/dry-run.ts', rel('../../player/sandbox/dry-run.ts'))).toBeNull();
  });

  it('reads every kind of import', () => {
    const found = importsOf(
      [
        "import { a } from './a.ts';",
        "import type { B } from './b.ts';",
        "export { c } from './c.ts';",
        "import './d.ts';",
        "const e = await import('./e.ts');",
        "type F = typeof import('./f.ts');",
        "import {\n  g,\n  h,\n} from './gh.ts';",
      ].join('\n'),
    );
    expect(found).toEqual([
      { spec: './a.ts', typeOnly: false },
      { spec: './b.ts', typeOnly: true },
      { spec: './c.ts', typeOnly: false },
      { spec: './gh.ts', typeOnly: false },
      { spec: './d.ts', typeOnly: false },
      { spec: './e.ts', typeOnly: false },
      { spec: './f.ts', typeOnly: true },
    ]);
  });
});
