/**
 * The relay a fan-out run publishes through: **cold** — started for the run and closed after it (the
 * benchmark's default since the start) — or **warm** (`--relay warm`): one relay per configuration,
 * kept across the runs of a benchmark, as a relay in service is. A warm run is timed exactly as a
 * cold one (publish request → last byte at the last client), to readers that connect for the run
 * (its timed publish is the first they get), with a texture of new bytes (uploaded, checked and
 * framed as in a cold run); the only difference is the relay's process state: the V8 code and object
 * shapes of its hot path, which a cold relay loses between runs (docs/server.md, "seventh round": a
 * fresh relay recompiles ~50 functions each run; one in service keeps them).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  configBytes,
  generateSigningKey,
  type SignedRelease,
  type SigningKey,
  type SlotInput,
} from '../protocol/index.ts';
import { buildRelease, type BuiltRelease } from '../publisher/build.ts';
import { DEFAULT_HUB_OPTIONS } from '../signaling/hub/options.ts';
import { startServer, type RunningServer } from '../signaling/server.ts';
import { payloadSlots, pythonOf, scriptOf, type PayloadName, type Proto } from './fanout-payloads.ts';

/** What a relay run's relay is started with. */
export interface RelaySetup {
  readonly proto: Proto;
  readonly n: number;
  readonly payload: PayloadName;
  readonly variant: string;
  readonly binary: boolean;
  /** Kept across runs (see the file comment). */
  readonly warm?: boolean;
  readonly active?: number;
  readonly sliceBytes?: number;
  readonly windowBytes?: number;
}

/** The relay of one run, with the room's latest release before the run's publish. */
export interface RelayHost {
  readonly server: RunningServer;
  readonly key: SigningKey;
  /** The room's latest release: the readers connect holding it. */
  readonly latest: SignedRelease;
  /** The slots this run publishes. */
  readonly slots: Record<string, SlotInput>;
  /** After the run: `published` is the room's latest now. A cold relay closes. */
  done(published: SignedRelease): Promise<void>;
}

async function setupRoom(server: RunningServer, key: SigningKey): Promise<BuiltRelease> {
  const first = await buildRelease({
    room: 'bench',
    key,
    previous: null,
    version: '1',
    slots: {
      logic: { kind: 'script', lang: 'js', bytes: scriptOf(200, 'v1'), version: '1' },
      seed: { kind: 'script', lang: 'python', bytes: pythonOf(200, 'v1'), version: '1' },
      theme: { kind: 'config', bytes: configBytes({ background: '#1e2832' }), version: '1' },
    },
  });
  const res = await server.relay.publish({
    room: 'bench',
    candidate: first.signed,
    blobs: first.blobs,
    publicKey: key.publicKey,
    // The benchmark is the relay's operator: its first publish creates the room.
    mayCreate: true,
  });
  if (!res.ok) throw new Error(`setup publish refused: ${res.code} ${res.message}`);
  return first;
}

interface Started {
  readonly server: RunningServer;
  readonly dataDir: string;
  readonly key: SigningKey;
  latest: SignedRelease;
  runs: number;
}

async function start(o: RelaySetup): Promise<Started> {
  const dataDir = await mkdtemp(join(tmpdir(), 'patchcast-bench-'));
  const server = await startServer({
    httpPort: 0,
    tcpPort: 0,
    dataDir,
    staticDir: null,
    log: () => {},
    hub: {
      seedRoom: 'bench',
      ...(o.active ? { scheduler: { ...DEFAULT_HUB_OPTIONS.scheduler, maxActive: o.active } } : {}),
      ...(o.windowBytes ? { outbox: { ...DEFAULT_HUB_OPTIONS.outbox, windowBytes: o.windowBytes } } : {}),
    },
    ...(o.sliceBytes ? { tcpSliceBytes: o.sliceBytes } : {}),
  });
  const key = await generateSigningKey();
  const first = await setupRoom(server, key);
  return { server, dataDir, key, latest: first.signed, runs: 0 };
}

async function stop(s: Started): Promise<void> {
  await s.server.close();
  await rm(s.dataDir, { recursive: true, force: true });
}

const warm = new Map<string, Started>();

/** The relay for a run: a fresh one, or this configuration's warm one. */
export async function relayFor(o: RelaySetup, slots: Record<string, SlotInput>): Promise<RelayHost> {
  if (!o.warm) {
    const s = await start(o);
    return { server: s.server, key: s.key, latest: s.latest, slots, done: () => stop(s) };
  }
  const id = [o.proto, o.n, o.payload, o.variant, o.binary, o.active, o.sliceBytes, o.windowBytes].join('|');
  let s = warm.get(id);
  if (!s) {
    s = await start(o);
    warm.set(id, s);
  }
  const kept = s;
  kept.runs++;
  return {
    server: kept.server,
    key: kept.key,
    latest: kept.latest,
    // New bytes every run: the relay has to take, check and frame each publish as a cold one does.
    slots: await payloadSlots(o.payload, kept.runs),
    done: async (published) => {
      kept.latest = published;
    },
  };
}

/** Closes the warm relays (at the end of the benchmark). */
export async function closeWarmRelays(): Promise<void> {
  const all = [...warm.values()];
  warm.clear();
  await Promise.all(all.map(stop));
}
