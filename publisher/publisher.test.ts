// The publisher's flow against a relay whose answers are crafted (the parity test covers real relays).
import { describe, expect, it } from 'vitest';
import { utf8 } from '../protocol/bytes.ts';
import { generateSigningKey } from '../protocol/crypto.ts';
import { ApiPath } from '../protocol/http.ts';
import type { SignedRelease } from '../protocol/release.ts';
import { buildRelease } from './build.ts';
import { publishChanges, rollbackTo, type PublishStep } from './publisher.ts';
import { RelayApi, type Fetch } from './relay-api.ts';

const R = 'http://relay.test';

/** A relay that serves `history` in the given order and records what is posted. */
function relay(history: SignedRelease[], posted: unknown[], asked: string[] = []): Fetch {
  return (url, init) => {
    const path = url.slice(R.length);
    asked.push(`${init?.method ?? 'GET'} ${path}`);
    const json = (body: unknown, status = 200) =>
      Promise.resolve(new Response(JSON.stringify(body), { status }));
    if (init?.method === 'POST') {
      const body: unknown = JSON.parse(String(init.body));
      posted.push(body);
      return json({ room: 'r', seq: 99, version: 'x' }, 201);
    }
    const top = [...history].sort((a, b) => b.release.seq - a.release.seq)[0];
    if (top && path === ApiPath.releases('r')) return json({ room: 'r', releases: history });
    if (top && path === ApiPath.release('r')) return json(top);
    return json({ error: { code: 'NO_SUCH_ROOM', message: 'no' } }, 404);
  };
}

describe('publisher', () => {
  it('rolls back above the highest seq, whatever order the relay lists the history in', async () => {
    const key = await generateSigningKey();
    const history: SignedRelease[] = [];
    for (const text of ['a', 'b', 'c']) {
      const previous = history.at(-1)?.release ?? null;
      const slots = { logic: { kind: 'script' as const, bytes: utf8(text), version: text } };
      history.push((await buildRelease({ room: 'r', key, previous, slots })).signed);
    }
    const posted: unknown[] = [];
    const unsorted = [history[0]!, history[2]!, history[1]!];
    const ctx = { api: new RelayApi(R, relay(unsorted, posted)), room: 'r', key };
    const outcome = await rollbackTo(ctx, { toSeq: 2 });
    expect(outcome?.signed.release.seq).toBe(4);
    expect(outcome?.signed.release.slots).toEqual(history[1]!.release.slots);
    expect(outcome?.previous.release.seq).toBe(3);
    expect(posted).toHaveLength(1);
    await expect(rollbackTo(ctx, { toSeq: 3 })).rejects.toMatchObject({ code: 'NOTHING_TO_PUBLISH' });
    await expect(rollbackTo(ctx, { toSeq: 7 })).rejects.toMatchObject({ code: 'NO_SUCH_RELEASE' });
    // A confirmation that says no publishes nothing.
    expect(await rollbackTo(ctx, { toSeq: 1, confirm: () => Promise.resolve(false) })).toBeNull();
    expect(posted).toHaveLength(1);
  });

  it('reports its steps in order, and creates a room with its first release', async () => {
    const key = await generateSigningKey();
    const posted: unknown[] = [];
    const steps: PublishStep[] = [];
    const outcome = await publishChanges(
      { api: new RelayApi(R, relay([], posted)), room: 'r', key },
      {
        changes: [{ op: 'set', slot: 'logic', content: { kind: 'script', bytes: utf8('x') } }],
        onStep: (s) => steps.push(s),
      },
    );
    expect(steps).toEqual(['latest', 'trust', 'plan', 'sign', 'upload']);
    expect(outcome.signed.release).toMatchObject({ seq: 1, version: '1.0.0' });
    expect(posted[0]).toMatchObject({ publicKey: key.publicKey });
  });

  it('reads the history once for a publish on a live release: the label and the seq floor come from it', async () => {
    const key = await generateSigningKey();
    const first = await buildRelease({
      room: 'r',
      key,
      previous: null,
      slots: { logic: { kind: 'script', bytes: utf8('a'), version: '1.0.0' } },
    });
    const posted: unknown[] = [];
    const asked: string[] = [];
    const outcome = await publishChanges(
      { api: new RelayApi(R, relay([first.signed], posted, asked)), room: 'r', key },
      { changes: [{ op: 'set', slot: 'logic', content: { kind: 'script', bytes: utf8('b') } }] },
    );
    expect(outcome.signed.release).toMatchObject({ seq: 2, version: '1.0.1' });
    expect(asked.filter((a) => a === `GET ${ApiPath.releases('r')}`)).toHaveLength(1);
  });
});
