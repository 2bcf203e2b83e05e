/**
 * What the fan-out benchmark publishes, and the bytes its bare baselines write: for each protocol,
 * the least a server could put on that wire for the patch — the blob itself for ours (its chunk
 * frames add a few bytes of header per 64 KiB), and the seed's `hot_update` frame (the image in
 * base64 inside JSON, as the seed protocol requires) for seed clients.
 */
import sharp from 'sharp';
import { SeedType, SeedUpdateType, encodeFrame, toBase64, utf8, type SlotInput } from '../protocol/index.ts';

/** A payload of the benchmark. */
export type PayloadName = 'script' | '1mb' | '5mb';

/** A protocol the benchmark's clients speak. */
export type Proto = 'ours' | 'seed';

async function noisePng(bytes: number, seed: number): Promise<Uint8Array> {
  const side = Math.ceil(Math.sqrt(bytes / 3));
  const raw = Buffer.alloc(side * side * 3);
  let x = (2463534242 + seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < raw.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    raw[i] = x & 0xff;
  }
  return new Uint8Array(
    await sharp(raw, { raw: { width: side, height: side, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer(),
  );
}

/** A logic script of about `size` bytes. */
export function scriptOf(size: number, tag: string): Uint8Array {
  const line = `// ${tag} ${'-'.repeat(60)}\n`;
  return utf8(`export function update(b){return b}\n${line.repeat(Math.ceil(size / line.length))}`);
}

/** A seed-protocol Python script of about `size` bytes. */
export function pythonOf(size: number, tag: string): Uint8Array {
  const line = `# ${tag} ${'-'.repeat(60)}\n`;
  return utf8(
    `def update_ball_position(x, y, vx, vy, w, h):\n    return x + vx, y + vy, vx, vy\n${line.repeat(Math.ceil(size / line.length))}`,
  );
}

/**
 * The slots a payload changes. `seed` > 0 gives other bytes of the same size (a warm relay's next
 * publish: new to it, as every publish is to a relay in service).
 */
export async function payloadSlots(name: PayloadName, seed = 0): Promise<Record<string, SlotInput>> {
  const version = seed === 0 ? '2' : `2.${seed}`;
  if (name === 'script') {
    return {
      logic: { kind: 'script', lang: 'js', bytes: scriptOf(4000, `v${version}`), version },
      seed: { kind: 'script', lang: 'python', bytes: pythonOf(4000, `v${version}`), version },
    };
  }
  const png = await noisePng(name === '1mb' ? 1_000_000 : 5_000_000, seed);
  return { background: { kind: 'texture', mime: 'image/png', bytes: png, version } };
}

/** The bytes a bare server writes to each client of `proto` for the payload. */
export function baselineBytes(slots: Record<string, SlotInput>, proto: Proto): Uint8Array {
  const bg = slots['background'];
  if (proto === 'ours') return (bg ?? slots['logic']!).bytes;
  if (bg) {
    return encodeFrame({
      type: SeedType.hotUpdate,
      update_type: SeedUpdateType.background,
      config: {
        version: '2',
        last_update: '',
        background_color: [30, 40, 50],
        background_image: toBase64(bg.bytes),
        enabled: true,
      },
      timestamp: 0,
    });
  }
  return encodeFrame({
    type: SeedType.hotUpdate,
    update_type: SeedUpdateType.script,
    config: {
      version: '2',
      last_update: '',
      content: new TextDecoder().decode(slots['seed']!.bytes),
      enabled: true,
    },
    timestamp: 0,
  });
}
