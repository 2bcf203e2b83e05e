/**
 * What `patchcast serve` prints: the demo room's admin link carries exactly the demo key file in its
 * fragment, only when that file holds a key the room trusts; checked on the banner of an in-process
 * server and on the output of the real command.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  fromBase64Url,
  fromUtf8,
  generateSigningKey,
  parseKeyFile,
  toKeyFile,
  type KeyFile,
} from '../../protocol/index.ts';
import { startTestServer, until } from '../testing/helpers.ts';
import { spawnServe } from '../testing/serve-process.ts';
import { serveBanner } from './serve.ts';

const ADMIN_LINK = /^ {2}admin \(demo key\) (\S+)$/;

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'patchcast-serve-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function keyFileOnDisk(): Promise<KeyFile> {
  const parsed = parseKeyFile(JSON.parse(await readFile(join(dataDir, 'keys', 'demo.key.json'), 'utf8')));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

/** The admin link among printed lines, or null. */
function adminLink(lines: readonly string[]): string | null {
  for (const line of lines) {
    const m = ADMIN_LINK.exec(line);
    if (m) return m[1] ?? null;
  }
  return null;
}

/** Reads the key file out of a link's fragment, the way a browser would see it. */
function keyOfLink(link: string): KeyFile {
  const url = new URL(link);
  const param = new URLSearchParams(url.hash.slice(1)).get('demo-key');
  if (param === null) throw new Error(`no demo-key in ${link}`);
  const parsed = parseKeyFile(JSON.parse(fromUtf8(fromBase64Url(param))));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

describe('serve banner', () => {
  it('prints an admin link whose fragment is the demo key file, and says it holds the secret key', async () => {
    const server = await startTestServer({ dataDir, demo: true });
    try {
      const lines = serveBanner(server, server.demo, dataDir);
      const link = adminLink(lines);
      if (link === null) throw new Error(`no admin link in:\n${lines.join('\n')}`);
      const url = new URL(link);
      // The key is only in the fragment: the path and query a browser sends are the site's root.
      expect(`${url.origin}${url.pathname}${url.search}`).toBe(`${server.url}/`);
      expect(keyOfLink(link)).toEqual(await keyFileOnDisk());
      expect(keyOfLink(link).room).toBe('demo');
      expect(lines.join('\n')).toContain("this link contains the demo room's secret key");
    } finally {
      await server.close();
    }
    // Loaded (not created) on the next start: the same link.
    const again = await startTestServer({ dataDir, demo: true });
    try {
      expect(again.demo?.created).toBe(false);
      const link = adminLink(serveBanner(again, again.demo, dataDir));
      expect(link === null ? null : keyOfLink(link)).toEqual(await keyFileOnDisk());
    } finally {
      await again.close();
    }
  });

  it('prints no admin link when the key file holds a key the demo room does not trust', async () => {
    const first = await startTestServer({ dataDir, demo: true });
    await first.close();
    const stranger = await toKeyFile(await generateSigningKey(true), 'demo');
    await writeFile(join(dataDir, 'keys', 'demo.key.json'), JSON.stringify(stranger), { mode: 0o600 });
    const server = await startTestServer({ dataDir, demo: true });
    try {
      const lines = serveBanner(server, server.demo, dataDir);
      expect(adminLink(lines)).toBeNull();
      expect(lines.join('\n')).not.toContain(stranger.secretKey);
      expect(lines.join('\n')).toContain('no admin link');
    } finally {
      await server.close();
    }
  });

  it('prints no demo lines without the demo room', async () => {
    const server = await startTestServer({ dataDir, demo: false });
    try {
      const text = serveBanner(server, server.demo, dataDir).join('\n');
      expect(text).not.toContain('demo');
      expect(text).toContain('admin site');
    } finally {
      await server.close();
    }
  });
});

describe('patchcast serve (the real command)', () => {
  it('prints the admin link with the demo key file it wrote', async () => {
    const relay = await spawnServe({ dataDir, demo: true });
    try {
      let link = '';
      await until(
        () => {
          link = relay.stdout.map((line) => ADMIN_LINK.exec(line)?.[1]).find(Boolean) ?? '';
          return link !== '';
        },
        30_000,
        `the admin link in:\n${relay.stdout.join('\n')}`,
      );
      expect(keyOfLink(link)).toEqual(await keyFileOnDisk());
      expect(link.startsWith(`${relay.url}/#demo-key=`)).toBe(true);
    } finally {
      await relay.stop();
    }
  });
});
