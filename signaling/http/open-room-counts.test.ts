/** The open relay's per-address room quota outlives a restart (it is kept in the data dir). */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiPath, ErrorCode, generateSigningKey } from '../../protocol/index.ts';
import { keySetRecord } from '../testing/key-sets.ts';
import { startTestServer, until, type TestServer } from '../testing/helpers.ts';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.dispose();
  server = null;
});

const open = { openRooms: true, maxRoomsPerAddress: 1, reserved: new Set<string>(), operatorToken: null };

async function createRoom(room: string) {
  const key = await generateSigningKey();
  const res = await fetch(server!.url + ApiPath.keys(room), {
    method: 'POST',
    body: JSON.stringify(await keySetRecord(room, 1, [key], [key])),
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

describe('open rooms per address', () => {
  it('keeps counting across a restart', async () => {
    server = await startTestServer({ creation: open });
    expect((await createRoom('first')).status).toBe(201);
    expect((await createRoom('second')).status).toBe(429);
    const dataDir = server.dataDir;
    await until(
      () =>
        access(join(dataDir, 'open-rooms.json')).then(
          () => true,
          () => false,
        ),
      5_000,
    );
    await server.close();
    server = await startTestServer({ creation: open, dataDir });
    const again = await createRoom('third');
    expect(again.status).toBe(429);
    expect(again.body).toMatchObject({ error: { code: ErrorCode.QUOTA_EXCEEDED } });
  });
});
