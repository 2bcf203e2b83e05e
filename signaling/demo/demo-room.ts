/**
 * Creating the demo room (only `patchcast serve` does; the relay itself knows no demo): the room a
 * fresh data dir starts with: a room key written where the operator can find it
 * (`<data dir>/keys/demo.key.json`, the format `patchcast keygen` writes, mode 0600) and a first
 * release with the four well-known slots, published through the same path as any other release.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DEFAULT_CHUNK_SIZE,
  assembleRelease,
  configBytes,
  describeSlots,
  fromKeyFile,
  generateSigningKey,
  parseKeyFile,
  toKeyFile,
  utf8,
  WellKnownSlot,
  type KeyFile,
  type SigningKey,
  type SlotInput,
} from '../../protocol/index.ts';
import type { Relay } from '../relay/relay.ts';
import { writeFileAtomic } from '../store/atomic.ts';
import { SEED_PYTHON_SCRIPT } from '../hub/seed-defaults.ts';
import { DEFAULT_LOGIC_JS, DEFAULT_THEME, makeBackgroundPng } from './defaults.ts';

/** The demo room's name. */
export const DEMO_ROOM = 'demo';

/** What the operator is told about the demo room. */
export interface DemoInfo {
  readonly room: string;
  /** The room's public key (for the player URL), or null if the room has a key we don't hold. */
  readonly publicKey: string | null;
  readonly keyPath: string;
  /**
   * The key file at `keyPath` when it holds a key the room trusts (what `serve`'s admin link
   * carries), else null: a key file for another key must not be offered as the room's.
   */
  readonly keyFile: KeyFile | null;
  /** True when this start created the room. */
  readonly created: boolean;
}

interface KeyOnDisk {
  readonly file: KeyFile;
  readonly key: SigningKey;
}

async function readKey(path: string): Promise<KeyOnDisk | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  const parsed = parseKeyFile(JSON.parse(text));
  if (!parsed.ok) throw new Error(`${path}: ${parsed.message}`);
  return { file: parsed.value, key: await fromKeyFile(parsed.value) };
}

/** Creates the demo room if the data dir has none; returns what to print either way. */
export async function ensureDemoRoom(relay: Relay, dataDir: string): Promise<DemoInfo> {
  const keyPath = join(dataDir, 'keys', `${DEMO_ROOM}.key.json`);
  const trusted = relay.trustedKeys(DEMO_ROOM);
  if (trusted && relay.latest(DEMO_ROOM)) {
    const onDisk = await readKey(keyPath).catch(() => null);
    const ours = onDisk && trusted.has(onDisk.key.keyId) ? onDisk : null;
    const publicKey = ours ? ours.key.publicKey : ([...trusted.values()][0] ?? null);
    return { room: DEMO_ROOM, publicKey, keyPath, keyFile: ours?.file ?? null, created: false };
  }
  // A key file without a room is what a crash between the two writes leaves: reuse the key.
  let onDisk = await readKey(keyPath);
  if (!onDisk) {
    const fresh = await generateSigningKey(true);
    const file = await toKeyFile(fresh, DEMO_ROOM);
    await writeFileAtomic(keyPath, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    onDisk = { file, key: fresh };
  }
  const { key } = onDisk;
  // The relay signs nothing of its own: the demo room's first release is signed with the demo key,
  // assembled from the protocol's parts (a publisher's carry-over rules have nothing to carry here).
  const content: Record<string, SlotInput> = {
    logic: { kind: 'script', lang: 'js', bytes: utf8(DEFAULT_LOGIC_JS), version: '1.0.0' },
    background: { kind: 'texture', mime: 'image/png', bytes: await makeBackgroundPng(), version: '1.0.0' },
    theme: { kind: 'config', bytes: configBytes(DEFAULT_THEME), version: '1.0.0' },
    [WellKnownSlot.seedScript]: {
      kind: 'script',
      lang: 'python',
      bytes: utf8(SEED_PYTHON_SCRIPT),
      version: '1.0.0',
    },
  };
  const { slots, blobs } = await describeSlots(content, DEFAULT_CHUNK_SIZE);
  const signed = await assembleRelease({
    room: DEMO_ROOM,
    key,
    seq: 1,
    version: '1.0.0',
    notes: 'demo room: bouncing ball, grid background, seed theme',
    slots,
  });
  const result = await relay.publish({
    room: DEMO_ROOM,
    candidate: signed,
    blobs,
    publicKey: key.publicKey,
    // The relay's own operator (serve) creates the demo room.
    mayCreate: true,
  });
  if (!result.ok) throw new Error(`demo release refused: ${result.code}: ${result.message}`);
  return { room: DEMO_ROOM, publicKey: key.publicKey, keyPath, keyFile: onDisk.file, created: true };
}
