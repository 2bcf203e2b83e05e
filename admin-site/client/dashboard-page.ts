/**
 * The dashboard: the room's roster pushed live over `/ws`, counts per release and per slot version,
 * the adoption chart, failures per release and the peer offload ratio. Every string a client reported
 * is put in the page as text (see `lib/dom.ts`).
 */
import type { Roster, RosterClient } from '../../protocol/messages.ts';
import type { SignedRelease } from '../../protocol/release.ts';
import { AdoptionSeries, FailureLog, playersOf, summarize, type RosterSummary } from '../lib/adoption.ts';
import { createAdoptionChart } from '../lib/chart.ts';
import { basePath, loadContext } from '../lib/context.ts';
import { ago, byId, h, replaceChildren, say } from '../lib/dom.ts';
import { RelayApi } from '../../publisher/relay-api.ts';
import { describeError } from '../lib/refusals.ts';
import { signingKeyOf } from '../lib/keystore.ts';
import { openRosterSocket } from '../lib/roster-socket.ts';
import { relayWebSocketUrl } from '../lib/settings.ts';
import { formatBytes } from '../lib/texture.ts';
import { adoptionOf, planOf } from '../../publisher/guarded.ts';
import type { ReleaseAdoption } from '../../protocol/adoption.ts';
import { adoptionTable, completeText } from '../lib/adoption-view.ts';
import { drawPlan } from '../lib/plan-panel.ts';
import { adminPublisher } from '../lib/publish-plan.ts';

const gate = byId('gate', HTMLElement);
const conn = byId('conn', HTMLElement);
const statPlayers = byId('stat-players', HTMLElement);
const statLatest = byId('stat-latest', HTMLElement);
const statAdoption = byId('stat-adoption', HTMLElement);
const statFailures = byId('stat-failures', HTMLElement);
const chartHost = byId('chart', HTMLElement);
const bySeq = byId('by-seq', HTMLElement);
const bySlot = byId('by-slot', HTMLElement);
const failuresHost = byId('failures', HTMLElement);
const rosterBody = byId('roster', HTMLElement);
const rosterEmpty = byId('roster-empty', HTMLElement);
const newestHost = byId('newest-adoption', HTMLElement);
const planHost = byId('plan', HTMLElement);

/** The relay's counts of the newest release (null until fetched): they win over the roster's guess. */
let newest: ReleaseAdoption | null = null;
let countsLoading: Promise<void> | null = null;
let countsAgain = false;

let series = new AdoptionSeries();
const failures = new FailureLog();
const versions = new Map<number, string>();
let lastRoster: Roster | null = null;
let relay = location.origin;
let room = '';
let historyLoading: Promise<void> | null = null;

const label = (seq: number) => (versions.has(seq) ? `${versions.get(seq) ?? ''} (seq ${seq})` : `seq ${seq}`);

async function loadVersions(): Promise<void> {
  historyLoading ??= (async () => {
    try {
      const list: SignedRelease[] = await new RelayApi(relay).history(room);
      for (const s of list) versions.set(s.release.seq, s.release.version);
    } catch {
      // Labels are a nicety: without history the tables show seq numbers.
    } finally {
      historyLoading = null;
    }
  })();
  return historyLoading;
}

function statusCell(c: RosterClient): HTMLElement {
  const cell = h('td', {});
  const slots = Object.entries(c.slots).sort(([a], [b]) => a.localeCompare(b));
  if (slots.length === 0) cell.append(h('span', { class: 'empty' }, 'nothing applied'));
  for (const [name, s] of slots) {
    const kind = s.status === 'applied' ? 'ok' : s.status === 'failed' ? 'error' : 'warn';
    cell.append(
      h(
        'div',
        {},
        h('b', {}, name),
        ' ',
        h('span', { class: `badge ${kind}`, title: s.status }, s.version),
        s.status === 'applied' ? null : ` ${s.status}`,
        s.status === 'failed' && s.running !== undefined
          ? h('span', { class: 'hint' }, ` · runs ${s.running?.version ?? 'built-in'}`)
          : null,
      ),
    );
  }
  return cell;
}

function ackCell(c: RosterClient): HTMLElement {
  const a = c.lastAck;
  if (!a) return h('td', { class: 'empty' }, '—');
  return h(
    'td',
    {},
    h(
      'span',
      { class: `badge ${a.status === 'applied' ? 'ok' : a.status === 'failed' ? 'error' : 'warn'}` },
      a.status,
    ),
    ` ${a.slot} · seq ${a.seq} · ${ago(a.at)}`,
    a.error ? h('div', { class: 'hint', 'data-testid': 'ack-error' }, a.error) : null,
  );
}

/** Rows drawn at most: past that the counts above tell the story, and a huge table only slows the tab. */
const MAX_ROWS = 500;

function drawRoster(clients: readonly RosterClient[]): void {
  const players = playersOf(clients).sort((a, b) => a.connectedAt.localeCompare(b.connectedAt));
  rosterEmpty.hidden = players.length > 0;
  const more = players.length - MAX_ROWS;
  replaceChildren(
    rosterBody,
    ...players
      .slice(0, MAX_ROWS)
      .map((c) =>
        h(
          'tr',
          { 'data-client': c.clientId },
          h('td', {}, h('code', {}, c.clientId)),
          h('td', {}, c.transport),
          h('td', { 'data-testid': 'platform' }, c.platform),
          h('td', { class: 'num' }, String(c.seq)),
          statusCell(c),
          h('td', { title: c.lastHeartbeat }, ago(c.lastHeartbeat)),
          ackCell(c),
        ),
      ),
    more > 0 ? h('tr', {}, h('td', { colspan: 7, class: 'empty' }, `… and ${more} more players.`)) : null,
  );
}

function drawSummary(s: RosterSummary): void {
  statPlayers.textContent = String(s.players);
  statLatest.textContent = s.latestSeq === 0 ? 'none' : label(s.latestSeq);
  statAdoption.textContent =
    newest && newest.seq === s.latestSeq
      ? completeText(newest)
      : s.adoption === null
        ? '—'
        : `${Math.round(s.adoption * 100)}% (${s.onLatest}/${s.players})`;
  replaceChildren(
    bySeq,
    ...s.bySeq.map((r) =>
      h(
        'tr',
        {},
        h('td', {}, label(r.seq), r.seq === s.latestSeq ? h('span', { class: 'badge ok' }, 'newest') : null),
        h('td', { class: 'num' }, String(r.players)),
        h('td', { class: 'num' }, formatBytes(r.bytesFromRelay)),
        h('td', { class: 'num' }, formatBytes(r.bytesFromPeers)),
        h('td', { class: 'num' }, r.offload === null ? '—' : `${Math.round(r.offload * 100)}%`),
      ),
    ),
  );
  if (s.bySlotVersion.size === 0) {
    replaceChildren(bySlot, h('p', { class: 'empty' }, 'No players yet.'));
  } else {
    replaceChildren(
      bySlot,
      h(
        'ul',
        { class: 'plain' },
        ...[...s.bySlotVersion].map(([slot, counts]) =>
          h(
            'li',
            {},
            h('b', {}, slot),
            ': ',
            [...counts]
              .sort(([, a], [, b]) => b - a)
              .map(([v, n]) => `${v} × ${n}`)
              .join(', '),
          ),
        ),
      ),
    );
  }
}

function drawFailures(): void {
  statFailures.textContent = String(failures.size);
  const groups = failures.byRelease();
  if (groups.length === 0) {
    replaceChildren(failuresHost, h('p', { class: 'empty' }, 'No failed applies seen.'));
    return;
  }
  replaceChildren(
    failuresHost,
    ...groups.map((g) =>
      h(
        'div',
        {},
        h('h3', {}, `${label(g.seq)}: ${g.failures.length} failed`),
        h(
          'ul',
          {},
          ...g.failures.map((f) =>
            h(
              'li',
              {},
              h('code', {}, f.clientId),
              ` · ${f.slot} ${f.version}: `,
              h('span', { class: 'warn-text' }, f.error),
            ),
          ),
        ),
      ),
    ),
  );
}

/** The roster's summary, with the relay's count of players on the newest release when it has one. */
function truthful(s: RosterSummary): RosterSummary {
  if (!newest || newest.seq !== s.latestSeq) return s;
  const adoption = newest.players === 0 ? null : newest.complete / newest.players;
  return { ...s, onLatest: newest.complete, adoption };
}

/** Fetches the relay's counts and the room's plan (one request at a time; again if asked meanwhile). */
function loadCounts(publisher: ReturnType<typeof adminPublisher> | null): void {
  if (countsLoading) {
    countsAgain = true;
    return;
  }
  countsLoading = (async () => {
    const api = new RelayApi(relay);
    const [releases, plan] = await Promise.all([adoptionOf(api, room), planOf(api, room).catch(() => null)]);
    newest = releases[0] ?? null;
    replaceChildren(
      newestHost,
      newest ? adoptionTable(newest) : h('p', { class: 'empty' }, 'No release yet.'),
    );
    if (newest) newestHost.dataset['seq'] = String(newest.seq);
    drawPlan(planHost, plan, publisher, () => loadCounts(publisher));
    if (lastRoster) drawSummary(truthful(summarize(lastRoster)));
  })()
    .catch(() => {
      // The counts are drawn again at the next roster update.
    })
    .finally(() => {
      countsLoading = null;
      if (countsAgain) {
        countsAgain = false;
        setTimeout(() => loadCounts(publisher), 500);
      }
    });
}

async function start(): Promise<void> {
  const ctx = await loadContext();
  relay = ctx.relay;
  if (!ctx.room) {
    say(gate, 'warn', 'Choose a room first on ', h('a', { href: basePath() }, 'Room & keys'), '.');
    replaceChildren(conn);
    return;
  }
  room = ctx.room;
  // Samples survive a reload of this tab (sessionStorage), so the chart shows more than "since now".
  const storeKey = `patchcast.admin.adoption.${room}`;
  try {
    series = AdoptionSeries.fromRows(JSON.parse(sessionStorage.getItem(storeKey) ?? '[]'));
  } catch {
    series = new AdoptionSeries();
  }
  let saveTimer: ReturnType<typeof setTimeout> | undefined;
  const save = () => {
    saveTimer ??= setTimeout(() => {
      saveTimer = undefined;
      sessionStorage.setItem(storeKey, JSON.stringify(series.toRows()));
    }, 2000);
  };
  const chart = createAdoptionChart(chartHost);
  // The chart's last point is also kept on its element, for tools and tests that can't read a canvas.
  const plot = () => {
    chart.update(series.data());
    chartHost.dataset['samples'] = String(series.length);
    chartHost.dataset['lastPercent'] = String(series.percent.at(-1) ?? '');
    chartHost.dataset['latestSeq'] = String(series.latestSeqs.at(-1) ?? '');
    save();
  };
  if (series.length > 0) plot();
  await loadVersions();
  if (!ctx.key) {
    say(
      gate,
      'warn',
      'The roster is shown only to holders of a room key: add this room’s key on ',
      h('a', { href: basePath() }, 'Room & keys'),
      '.',
    );
    replaceChildren(conn);
    return;
  }
  const publisher = adminPublisher({ relay, room, key: ctx.key });
  loadCounts(publisher);
  openRosterSocket({
    url: relayWebSocketUrl(relay),
    room,
    key: signingKeyOf(ctx.key),
    onRoster: (roster) => {
      const newRelease = lastRoster !== null && roster.seq !== lastRoster.seq;
      lastRoster = roster;
      loadCounts(publisher);
      const summary = truthful(summarize(roster));
      series.add(Date.now(), summary);
      if (failures.record(roster.clients)) drawFailures();
      drawRoster(roster.clients);
      drawSummary(summary);
      plot();
      if (newRelease || !versions.has(roster.seq)) {
        void loadVersions().then(() => {
          if (lastRoster) drawSummary(truthful(summarize(lastRoster)));
          drawFailures();
        });
      }
    },
    onState: (state) => {
      switch (state.kind) {
        case 'connecting':
          say(
            conn,
            'info',
            state.attempt > 1 ? `Reconnecting (attempt ${state.attempt})…` : 'Connecting to the relay…',
          );
          break;
        case 'open':
          say(conn, 'ok', 'Live: the relay pushes every change of the roster.');
          break;
        case 'waiting':
          say(
            conn,
            'warn',
            `Disconnected (${state.reason}). Retrying in ${(state.retryInMs / 1000).toFixed(1)} s…`,
          );
          break;
        case 'closed':
          say(conn, 'info', 'Closed.');
      }
    },
    onError: (code, message) => say(gate, 'error', `Relay says ${code}: `, message),
  });
  // Between roster updates nothing changed: extend the chart with the last state and keep the
  // "x s ago" cells honest. (No request goes out; the relay pushes every change.)
  setInterval(() => {
    if (!lastRoster) return;
    drawRoster(lastRoster.clients);
    loadCounts(publisher);
    series.add(Date.now(), truthful(summarize(lastRoster)));
    plot();
  }, 5000);
}

start().catch((error: unknown) => {
  const d = describeError(error);
  say(gate, 'error', d.words, h('span', { class: 'detail' }, d.detail));
});
