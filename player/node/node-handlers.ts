/**
 * What a headless player does with each slot: the demo game's contract without the drawing. The
 * logic script runs in the Node sandbox (`worker_threads`, the same sandbox API, lockdown, time
 * budgets and output checks as the page's Worker) through the same {@link LogicHost}: a new script
 * runs its trial frames before it is taken, so one that throws or answers junk is acked `failed`
 * with the error. Textures are checked to be the image their slot says; the theme is validated.
 */
import { parseTheme } from '../../protocol/config.ts';
import type { TextureSlot } from '../../protocol/release.ts';
import type { ApplyOutcome, PatchHandlers } from '../core/apply.ts';
import { LogicHost, type LogicHostOptions } from '../sandbox/logic-host.ts';
import { initialBall } from '../sandbox/contract.ts';
import { NODE_LOAD_BUDGET_MS, spawnNodeSandbox } from './node-sandbox.ts';

const DEFAULT_RADIUS = 15;

/** The first bytes of each image type a texture slot may name. */
const MAGIC: Readonly<Record<TextureSlot['mime'], (b: Uint8Array) => boolean>> = {
  'image/png': (b) => [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((x, i) => b[i] === x),
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/webp': (b) =>
    String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' &&
    String.fromCharCode(...b.subarray(8, 12)) === 'WEBP',
};

/** The logic host and slot handlers of a headless player. */
export class NodeGame {
  /** Created with the first script: a player that never gets one starts no worker. */
  private host: LogicHost | null = null;
  private readonly options: LogicHostOptions;

  constructor(options: LogicHostOptions = {}) {
    this.options = { spawn: spawnNodeSandbox, loadBudgetMs: NODE_LOAD_BUDGET_MS, ...options };
  }

  /** The logic host, once a script was offered. */
  get logic(): LogicHost | null {
    return this.host;
  }

  /** The handlers to give the patch client. */
  readonly handlers: PatchHandlers = {
    script: async (change, source): Promise<ApplyOutcome> => {
      if (change.name !== 'logic')
        return { status: 'skipped', reason: 'only the logic slot drives the ball' };
      this.host ??= new LogicHost(initialBall(DEFAULT_RADIUS), this.options);
      const installed = await this.host.install(source, {
        id: change.slot.sha256,
        version: change.slot.version,
      });
      if (installed.ok) return { status: 'applied' };
      return { status: 'failed', error: installed.message, transient: installed.transient };
    },
    texture: (change, bytes): ApplyOutcome => {
      if (change.name !== 'background')
        return { status: 'skipped', reason: 'only the background slot is drawn' };
      if (!MAGIC[change.slot.mime](bytes))
        return { status: 'failed', error: `BAD_TEXTURE: the bytes are not ${change.slot.mime}` };
      return { status: 'applied' };
    },
    config: (change, value): ApplyOutcome => {
      if (change.name !== 'theme')
        return { status: 'skipped', reason: `config slot ${change.name} is not used` };
      const theme = parseTheme(value);
      if (!theme.ok) return { status: 'failed', error: `${theme.code}: ${theme.message}` };
      this.host?.setRadius(theme.value.ballRadius ?? DEFAULT_RADIUS);
      return { status: 'applied' };
    },
  };

  /** Terminates every sandbox worker. */
  dispose(): void {
    this.host?.dispose();
    this.host = null;
  }
}
