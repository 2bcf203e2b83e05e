/**
 * `GET /api/blobs/:sha256` on the REAL relay: cheap checks before the store. A player's GET
 * (`PLAYER_BLOB_HEADER`) that a relay with an egress limit refuses (`BLOB_DEFERRED`) does not read the
 * blob at all; the same GET without the header (a browser's image, the admin) is served.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ApiPath, ErrorCode, PLAYER_BLOB_HEADER } from '../../protocol/index.ts';
import { startTestServer, TestRoom, type TestServer } from '../testing/helpers.ts';

let server: TestServer | undefined;

afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

/** Counts the blob reads the relay's routes make (the real store still answers). */
function countReads(relay: TestServer['relay']): { reads: number } {
  const counter = { reads: 0 };
  const read = relay.readBlob.bind(relay);
  relay.readBlob = (sha256) => {
    counter.reads++;
    return read(sha256);
  };
  return counter;
}

describe('GET /api/blobs/:sha256 under an egress limit', () => {
  it("refuses a player's GET before reading the blob, and serves one without the header", async () => {
    server = await startTestServer({ hub: { egressBytesPerSecond: 1_000_000 } });
    const room = await TestRoom.create(server.url, 'blobs');
    const sha = room.latest!.release.slots['background']!.sha256;
    const counter = countReads(server.relay);
    const url = server.url + ApiPath.blob(sha);

    const refused = await fetch(url, { headers: { [PLAYER_BLOB_HEADER]: '1' } });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: { code: ErrorCode.BLOB_DEFERRED } });
    expect(counter.reads).toBe(0);

    const served = await fetch(url);
    expect(served.status).toBe(200);
    expect((await served.arrayBuffer()).byteLength).toBe(room.latest!.release.slots['background']!.size);
    expect(counter.reads).toBe(1);
  });

  it("answers a player's GET of a blob it lacks 404 BLOB_MISSING, not BLOB_DEFERRED", async () => {
    server = await startTestServer({ hub: { egressBytesPerSecond: 1_000_000 } });
    const res = await fetch(server.url + ApiPath.blob('ab'.repeat(32)), {
      headers: { [PLAYER_BLOB_HEADER]: '1' },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: ErrorCode.BLOB_MISSING } });
  });

  it("serves a player's GET when the relay has no limit (one read)", async () => {
    server = await startTestServer();
    const room = await TestRoom.create(server.url, 'blobs');
    const sha = room.latest!.release.slots['background']!.sha256;
    const counter = countReads(server.relay);
    const res = await fetch(server.url + ApiPath.blob(sha), { headers: { [PLAYER_BLOB_HEADER]: '1' } });
    expect(res.status).toBe(200);
    expect(counter.reads).toBe(1);
  });
});
