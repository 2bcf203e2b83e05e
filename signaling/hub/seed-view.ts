/**
 * The seed's view of a release: what a seed-protocol client (a client of the original Python server)
 * expects on the wire.
 *
 *   script_logic.content              = the `seed` slot's Python source (version = that slot's)
 *   background_config.background_color = the `theme` slot's background as [r, g, b]
 *   background_config.background_image = base64 of the `background` texture (null without one)
 *
 * Each frame (`initial_config` and the two `hot_update`s) is encoded once per release and shared by
 * every seed connection.
 */
import {
  SeedType,
  SeedUpdateType,
  WellKnownSlot,
  hexToRgb,
  parseConfigBlob,
  type InitialConfig,
  type SeedBackgroundConfig,
  type SeedScriptConfig,
  type SignedRelease,
  type Slot,
} from '../../protocol/index.ts';
import type { Payload } from './outbox.ts';
import { BASE64_SLOT, payloadOf } from './payloads.ts';
import { SeedImages } from './seed-image.ts';
import { SEED_BACKGROUND_RGB, SEED_PYTHON_SCRIPT } from './seed-defaults.ts';

/** Reads a stored blob (the relay's `readBlob`). */
export type ReadBlob = (sha256: string) => Promise<Uint8Array | null>;

/**
 * The name the seed slot had in releases published before it was renamed `seed`: such releases
 * still feed seed-protocol clients (a signed release can't be renamed, only superseded).
 */
export const FORMER_SEED_SLOT = 'legacy';

/** The seed-protocol script slot of a release, under its name or its former one. */
export function seedScriptSlot(slots: Readonly<Record<string, Slot>>): Slot | undefined {
  return slots[WellKnownSlot.seedScript] ?? slots[FORMER_SEED_SLOT];
}

/** The seed frames of one release; each is encoded on first use, then shared. */
export interface SeedView {
  readonly seq: number;
  /** Identity of the script content: a change means a `script_logic` update. */
  readonly scriptKey: string;
  readonly scriptVersion: string;
  /** Identity of the background (image and colour). */
  readonly backgroundKey: string;
  readonly backgroundVersion: string;
  /** Size estimates of the frames, for queue accounting before they are encoded. */
  readonly scriptSize: number;
  readonly backgroundSize: number;
  initial(): Payload;
  scriptUpdate(): Payload;
  backgroundUpdate(): Payload;
}

/** The seed's `last_update` format: `YYYY-MM-DD HH:MM:SS`. */
function seedTime(iso: string): string {
  return iso.slice(0, 19).replace('T', ' ');
}

const DEFAULT_TIME = '1970-01-01T00:00:00.000Z';

function once<T>(make: () => T): () => T {
  let value: { v: T } | null = null;
  return () => (value ??= { v: make() }).v;
}

/** Builds the seed frames of a release (or of an empty room, with the seed's defaults). */
export async function buildSeedView(
  readBlob: ReadBlob,
  signed: SignedRelease | null,
  now = Date.now(),
  images = new SeedImages(),
): Promise<SeedView> {
  const release = signed?.release;
  const lastUpdate = seedTime(release?.createdAt ?? DEFAULT_TIME);
  const scriptSlot = release ? seedScriptSlot(release.slots) : undefined;
  const bgSlot = release?.slots[WellKnownSlot.background];
  const themeSlot = release?.slots[WellKnownSlot.theme];

  let content = SEED_PYTHON_SCRIPT;
  if (scriptSlot?.kind === 'script') {
    const bytes = await readBlob(scriptSlot.sha256);
    if (bytes) content = new TextDecoder().decode(bytes);
  }
  const script: SeedScriptConfig = {
    version: scriptSlot?.version ?? '1.0.0',
    last_update: lastUpdate,
    content,
    enabled: true,
  };

  let rgb: [number, number, number] = SEED_BACKGROUND_RGB;
  if (themeSlot?.kind === 'config') {
    const bytes = await readBlob(themeSlot.sha256);
    const theme = bytes ? parseConfigBlob(WellKnownSlot.theme, bytes) : null;
    const colour = theme?.ok ? theme.value['background'] : undefined;
    if (typeof colour === 'string') rgb = hexToRgb(colour);
  }
  const image = bgSlot?.kind === 'texture' ? await readBlob(bgSlot.sha256) : null;
  const seedImage = once(() => (image && bgSlot ? images.of(bgSlot.sha256, image) : null));
  const backgroundVersion = bgSlot?.version ?? themeSlot?.version ?? '1.0.0';
  // The image goes into the frames as bytes, not through JSON.stringify (see jsonWithBase64).
  const background = (): SeedBackgroundConfig => ({
    version: backgroundVersion,
    last_update: lastUpdate,
    background_color: rgb,
    background_image: seedImage() === null ? null : BASE64_SLOT,
    enabled: true,
  });
  const frame = (message: object): Payload => seedImage()?.frame(message) ?? payloadOf(message);
  const timestamp = now / 1000;
  return {
    seq: release?.seq ?? 0,
    scriptKey: scriptSlot?.sha256 ?? 'default',
    scriptVersion: script.version,
    backgroundKey: `${bgSlot?.sha256 ?? 'none'}:${rgb.join(',')}`,
    backgroundVersion,
    scriptSize: content.length * 2 + 500,
    backgroundSize: (image ? Math.ceil(image.length / 3) * 4 : 0) + 500,
    initial: once(() => {
      const initial: InitialConfig = {
        type: SeedType.initialConfig,
        script_logic: script,
        background_config: background(),
      };
      return frame(initial);
    }),
    scriptUpdate: once(() =>
      payloadOf({
        type: SeedType.hotUpdate,
        update_type: SeedUpdateType.script,
        config: script,
        timestamp,
      }),
    ),
    backgroundUpdate: once(() =>
      frame({
        type: SeedType.hotUpdate,
        update_type: SeedUpdateType.background,
        config: background(),
        timestamp,
      }),
    ),
  };
}

/** The latest view per room, built once per release. */
export class SeedViews {
  private readonly views = new Map<string, { seq: number; view: Promise<SeedView> }>();
  private readonly images = new SeedImages();

  constructor(private readonly readBlob: ReadBlob) {}

  /**
   * A blob was uploaded for a release of the seed room not published yet: if it is that release's
   * background texture, its base64 is made now, for the `hot_update` the publish will send.
   */
  prepare(sha256: string, bytes: Uint8Array, name: string, slot: Slot): void {
    if (slot.kind === 'texture' && name === WellKnownSlot.background) this.images.of(sha256, bytes);
  }

  /** True when the base64 of background blob `sha256` is made. */
  hasImage(sha256: string): boolean {
    return this.images.has(sha256);
  }

  /** The view of `signed` (the room's latest release, or null). */
  get(room: string, signed: SignedRelease | null): Promise<SeedView> {
    const seq = signed?.release.seq ?? 0;
    const hit = this.views.get(room);
    if (hit && hit.seq === seq) return hit.view;
    const view = buildSeedView(this.readBlob, signed, Date.now(), this.images);
    this.views.set(room, { seq, view });
    return view;
  }
}
