/**
 * SIGKILL at any moment of a publish: the relay runs as its own process (`patchcast serve`), is
 * killed at spread-out moments while a release with a multi-megabyte texture is being published,
 * and restarted on the same data dir. Each time it must serve either the old or the new release,
 * complete (signature verifies, every blob there with the right hash), never a broken one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ApiPath,
  parseHistoryBody,
  parseSignedRelease,
  sha256Hex,
  utf8,
  verifyReleaseSignature,
  type SignedRelease,
} from '../protocol/index.ts';
import { TestRoom, bigPngBytes } from './testing/helpers.ts';
import { killServeProcesses, spawnServe } from './testing/serve-process.ts';

afterAll(killServeProcesses);

/** Fetches the latest release and checks it is whole: signature and every blob. */
async function wholeLatest(url: string, publicKey: string): Promise<SignedRelease> {
  const parsed = parseSignedRelease(await (await fetch(url + ApiPath.release('crash'))).json());
  if (!parsed.ok) throw new Error(parsed.message);
  expect(await verifyReleaseSignature(parsed.value, publicKey)).toBe(true);
  for (const slot of Object.values(parsed.value.release.slots)) {
    const res = await fetch(url + ApiPath.blob(slot.sha256));
    expect(res.status).toBe(200);
    expect(await sha256Hex(new Uint8Array(await res.arrayBuffer()))).toBe(slot.sha256);
  }
  return parsed.value;
}

describe('SIGKILL mid-publish', () => {
  it('serves the old or the new release, complete, after every kill', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'patchcast-crash-'));
    try {
      let relay = await spawnServe({ dataDir });
      let url = relay.url;
      const room = await TestRoom.create(url, 'crash');
      // How long one publish takes here, to spread the kills over it.
      const probe = await room.build({
        slots: {
          background: {
            kind: 'texture',
            mime: 'image/png',
            bytes: await bigPngBytes(2 << 20),
            version: 'probe',
          },
        },
      });
      const t0 = performance.now();
      expect((await room.publish(probe)).status).toBe(201);
      const publishMs = performance.now() - t0;

      const rounds = 10;
      const outcomes: string[] = [];
      for (let i = 0; i < rounds; i++) {
        const before = room.latest!;
        const built = await room.build({
          slots: {
            background: {
              kind: 'texture',
              mime: 'image/png',
              bytes: await bigPngBytes((2 << 20) + i * 1000),
              version: `r${i}`,
            },
            logic: {
              kind: 'script',
              lang: 'js',
              bytes: utf8(`export function update(b){return b} // ${i}`),
              version: `r${i}`,
            },
          },
        });
        const delay = (publishMs * 1.2 * i) / (rounds - 1);
        const publishing = room.publish(built).catch(() => null);
        await new Promise((r) => setTimeout(r, delay));
        await relay.kill();
        await publishing;

        relay = await spawnServe({ dataDir });
        url = relay.url;
        room.latest = null;
        const latest = await wholeLatest(url, room.key.publicKey);
        const seq = latest.release.seq;
        expect([before.release.seq, built.signed.release.seq]).toContain(seq);
        outcomes.push(seq === before.release.seq ? 'old' : 'new');
        room.latest = latest;
        // History holds no half release either.
        const history = parseHistoryBody(await (await fetch(url + ApiPath.releases('crash'))).json());
        expect(history.ok && history.value.releases[0]?.release.seq).toBe(seq);
        room.url = url;
      }
      // Both outcomes should occur over the spread of kill times.
      expect(outcomes).toContain('old');
      expect(outcomes).toContain('new');
      await relay.kill();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
