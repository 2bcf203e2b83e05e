/**
 * The dry run before `patchcast publish` ships a script (and all that `publish --dry-run` does): each
 * JavaScript script the publish sets is loaded in the player's own sandbox under Node (the Node
 * adapter's `worker_threads` worker: the same engine, lockdown, memory ceiling and budgets as a
 * page's) and checked against the contract the room declares in its `contracts` config slot — the
 * one this publish sets, else the live one. A slot the room declares nothing for gets a load check.
 */
import { fromUtf8 } from '../../protocol/bytes.ts';
import { parseConfigBlob } from '../../protocol/config.ts';
import { CONTRACTS_SLOT, parseContracts, type ContractsConfig } from '../../protocol/contracts.ts';
import type { Change } from '../../publisher/plan.ts';
import type { RelayApi } from '../../publisher/relay-api.ts';
import { loadNodeDryRun } from '../../player/node/load.ts';
import type { ScriptResult, ScriptSandbox } from '../../player/node/dry-run.ts';
import { CliError } from './io.ts';

type NodeDryRun = Awaited<ReturnType<typeof loadNodeDryRun>>;

/** One script's result. */
export interface ScriptDryRun {
  readonly slot: string;
  /** The declared entry it was called through, or null (a load check). */
  readonly entry: string | null;
  readonly ok: boolean;
  readonly calls: number;
  readonly error?: string;
}

/** The declared contracts: those this publish sets, else the room's live ones (none: null). */
async function contractsOf(
  changes: readonly Change[],
  api: RelayApi,
  room: string,
): Promise<ContractsConfig | null> {
  for (const change of changes) {
    if (change.op === 'remove' && change.slot === CONTRACTS_SLOT) return null;
    if (change.op === 'set' && change.slot === CONTRACTS_SLOT && change.content.kind === 'config') {
      return parsed(change.content.bytes, 'the contracts slot given');
    }
  }
  const latest = await api.latest(room);
  const slot = latest?.release.slots[CONTRACTS_SLOT];
  if (!slot || slot.kind !== 'config') return null;
  return parsed(await api.blob(slot.sha256), "the room's contracts slot");
}

function parsed(bytes: Uint8Array, what: string): ContractsConfig {
  const config = parseConfigBlob(CONTRACTS_SLOT, bytes);
  const contracts = config.ok ? parseContracts(config.value) : config;
  if (!contracts.ok) throw new CliError(`${what}: ${contracts.message}`, 1, contracts.code);
  return contracts.value;
}

/** True when the publish sets a JavaScript script (so there is something to dry-run). */
export function setsScripts(changes: readonly Change[]): boolean {
  return changes.some((c) => c.op === 'set' && c.content.kind === 'script' && c.content.lang !== 'python');
}

/**
 * A dry run under way: its sandbox starts (a worker thread, its engine) as soon as the publish knows
 * it will check scripts, on the other core while the publish reads its key and asks the relay.
 */
export interface DryRun {
  /** Dry-runs every JavaScript script the publish sets, one after another (the first in the standby). */
  run(changes: readonly Change[], api: RelayApi, room: string): Promise<ScriptDryRun[]>;
  /** Stops the standby sandbox if {@link run} never took it (a publish that failed before). */
  dispose(): void;
}

/** Starts the sandbox of a dry run ahead of need. */
export function startDryRun(): DryRun {
  const node = loadNodeDryRun();
  let standby: Promise<ScriptResult<ScriptSandbox>> | null = node.then((n) =>
    n.ScriptSandbox.start({ spawn: n.spawnNodeSandbox }),
  );
  // A failure to start is the first check's to report (it starts afresh): never unhandled here.
  standby.catch(() => {});
  const take = () => {
    const taken = standby;
    standby = null;
    return taken;
  };
  return {
    run: async (changes, api, room) => runScripts(changes, api, room, await node, take() ?? undefined),
    dispose: () =>
      void take()?.then(
        (s) => s.ok && s.value.terminate(),
        () => {},
      ),
  };
}

async function runScripts(
  changes: readonly Change[],
  api: RelayApi,
  room: string,
  node: NodeDryRun,
  standby: Promise<ScriptResult<ScriptSandbox>> | undefined,
): Promise<ScriptDryRun[]> {
  let spare = standby;
  try {
    const contracts = await contractsOf(changes, api, room);
    const results: ScriptDryRun[] = [];
    for (const change of changes) {
      if (change.op !== 'set' || change.content.kind !== 'script' || change.content.lang === 'python')
        continue;
      let source: string;
      try {
        source = fromUtf8(change.content.bytes);
      } catch {
        results.push({
          slot: change.slot,
          entry: null,
          ok: false,
          calls: 0,
          error: 'the script is not UTF-8',
        });
        continue;
      }
      const declared = contracts?.slots[change.slot] ?? null;
      const first = spare;
      spare = undefined;
      const options = { spawn: node.spawnNodeSandbox, loadBudgetMs: node.NODE_LOAD_BUDGET_MS };
      const check = await node.checkScript(source, declared, options, first);
      results.push({
        slot: change.slot,
        entry: declared?.entry ?? null,
        ok: check.ok,
        calls: check.calls,
        ...(check.error === undefined ? {} : { error: check.error }),
      });
    }
    return results;
  } finally {
    // Not taken (no script to check, or a bad contracts slot): stop it.
    void spare?.then(
      (s) => s.ok && s.value.terminate(),
      () => {},
    );
  }
}

/** One line per script, as the CLI prints them. */
export function describeDryRun(result: ScriptDryRun): string {
  const what = result.entry
    ? `${result.entry}(), ${result.calls} trial call(s)`
    : 'load check (no declared contract)';
  return result.ok
    ? `dry run ${result.slot}: ok — ${what}`
    : `dry run ${result.slot}: FAILED — ${result.error ?? 'failed'}`;
}
