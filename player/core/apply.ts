/**
 * The seam between the patch client and the game: the game registers one handler per kind of slot
 * and says how applying went. The client decodes what it can check itself (UTF-8 scripts, config
 * JSON against protocol's schema) before a handler sees anything.
 */
import { fromUtf8 } from '../../protocol/bytes.ts';
import { parseConfigBlob, type ConfigObject } from '../../protocol/config.ts';
import type { ConfigSlot, ScriptSlot, Slot, TextureSlot } from '../../protocol/release.ts';
import type { AppliedDetail } from './status.ts';

/** How applying one slot went. */
export type ApplyOutcome =
  | { readonly status: 'applied' }
  | {
      readonly status: 'failed';
      readonly error: string;
      /**
       * The failure may not be the content's fault (a script timed out on a starved machine): it is
       * acked, but not remembered, so a later release naming the same blob tries it again.
       */
      readonly transient?: boolean;
    }
  | { readonly status: 'skipped'; readonly reason: string };

/** A slot to apply, with where it comes from. */
export interface SlotChange<S extends Slot = Slot> {
  readonly name: string;
  readonly slot: S;
  /** Seq of the release that names it. */
  readonly seq: number;
  /** True when applied from the cache at boot (no ack is sent for those). */
  readonly fromCache: boolean;
  /**
   * Set on the last handler a release from the network calls, when nothing follows it (no later
   * slot's handler, no removal): the detail of the client's `shown` event once this handler returns
   * `applied`, word for word. A handler across a boundary (the demo page's, called from the client's
   * worker) can say "on screen" with it in the same task as it applies the slot, rather than a turn
   * of the page's event loop later when the client's `shown` gets there.
   */
  readonly shownIfApplied?: AppliedDetail;
}

type Handler<S extends Slot, T> = (change: SlotChange<S>, content: T) => ApplyOutcome | Promise<ApplyOutcome>;

/** A slot that a new release no longer names, after it had applied content. */
export interface RemovedSlot {
  readonly name: string;
  /** Seq of the release that dropped it. */
  readonly seq: number;
  /** What the slot applied last (its version label and blob hash). */
  readonly previous: { readonly version: string; readonly sha256: string };
}

/** What the game does with each kind of slot. A kind without a handler is skipped. */
export interface PatchHandlers {
  /** A JavaScript logic script (UTF-8 source). Python scripts are for seed clients: never passed. */
  readonly script?: Handler<ScriptSlot, string>;
  /** An image (PNG, JPEG or WebP bytes, `slot.mime`). */
  readonly texture?: Handler<TextureSlot, Uint8Array>;
  /** A config object (for `theme`, already checked against the theme schema). */
  readonly config?: Handler<ConfigSlot, ConfigObject>;
  /**
   * A slot the new release no longer names: the game goes back to what it does without it (the demo
   * shows the theme's plain colour when `background` goes, as the seed showed its colour with no
   * image). Called after the release's other slots were applied; a removal has no ack, and a
   * handler that throws changes nothing.
   */
  readonly removed?: (slot: RemovedSlot) => void | Promise<void>;
}

/** Error text of anything thrown by a handler. */
function thrown(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function run<S extends Slot, T>(
  handler: Handler<S, T> | undefined,
  change: SlotChange<S>,
  content: T,
): Promise<ApplyOutcome> {
  if (!handler) return { status: 'skipped', reason: `this player has no ${change.slot.kind} handler` };
  try {
    return await handler(change, content);
  } catch (error) {
    return { status: 'failed', error: thrown(error) };
  }
}

/** Decodes and applies one slot's verified blob through the matching handler. */
export async function applySlot(
  handlers: PatchHandlers,
  change: SlotChange,
  bytes: Uint8Array,
): Promise<ApplyOutcome> {
  const { slot } = change;
  switch (slot.kind) {
    case 'script': {
      if (slot.lang === 'python')
        return { status: 'skipped', reason: 'a python script is for seed-protocol clients' };
      let source: string;
      try {
        source = fromUtf8(bytes);
      } catch {
        return { status: 'failed', error: 'BAD_SCRIPT: the script is not UTF-8' };
      }
      return run(handlers.script, { ...change, slot }, source);
    }
    case 'texture':
      return run(handlers.texture, { ...change, slot }, bytes);
    case 'config': {
      const parsed = parseConfigBlob(change.name, bytes);
      if (!parsed.ok) return { status: 'failed', error: `${parsed.code}: ${parsed.message}` };
      return run(handlers.config, { ...change, slot }, parsed.value);
    }
  }
}

/** Order in which a release's slots are applied: configs (cheap, visible), then textures, then scripts. */
export function applyOrder(a: Slot, b: Slot): number {
  const rank = { config: 0, texture: 1, script: 2 } as const;
  return rank[a.kind] - rank[b.kind];
}
