import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { replay } from '../src/anomalies/replay.js';
import { defaultAnomalySettings } from '../src/anomalies/types.js';
import type { LedgerRow } from '../src/core/ledger-row.js';
import { openSqlite } from '../src/storage/sqlite/sqlite-storage.js';
import { rng, sampleRow } from '../src/storage/testing/rows.js';
import { seedLedger } from './seed.js';

// `npx tsx bench/runaway-audit.ts [--db PATH]`: the runaway-session detector's false positives where
// sessions are short and heavy (docs/anomalies.md). 21 days of seeded traffic, 150 users whose
// sessions last 5 to 20 minutes, two of them heavy (about $26 an hour while active, `--heavy-sessions`
// sessions a working day, 110 by default); on the last day, a Tuesday, one heavy and one light user each run a session at 15×
// their usual rate. `tollgate detect`'s replay of that day (runaway sessions only, an evaluation a
// minute) is run twice on the same ledger: with the session-hours' spans (schema version 26), then
// with the spans emptied, which is how the detector judged before (every session-hour a whole hour).
const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const DB = arg('--db');
/** Sessions a heavy user runs on a working day (agents in parallel): the audit's two heavy users had about a hundred each. */
const HEAVY_SESSIONS = Number(arg('--heavy-sessions') ?? 110);

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 9, 28);
const DAYS = 21;
const REPLAY = START + (DAYS - 1) * DAY; // Tuesday 17 November 2026
const USD = 1e12;

interface Session {
  id: string;
  user: number;
  start: number;
  requests: number;
  everyMs: number;
  /** Median cost of one request, dollars. */
  medianUsd: number;
}

/** Per user: heavy (the first two) or not, and their usual burn rate while active, dollars an hour. */
function users(r: () => number): { heavy: boolean; usdPerHour: number }[] {
  return Array.from({ length: 150 }, (_, u) => (u < 2 ? { heavy: true, usdPerHour: 26 } : { heavy: false, usdPerHour: 0.5 + r() * 5.5 }));
}

function sessions(): { list: Session[]; planted: string[] } {
  const r = rng(2026);
  const people = users(r);
  const list: Session[] = [];
  const SIGMA = 0.6;
  // The log-normal's mean is its median × e^(σ²/2): requests priced so that the mean burn is the user's rate.
  const medianFor = (usdPerHour: number, everyMs: number) => (usdPerHour * everyMs) / HOUR / Math.exp((SIGMA * SIGMA) / 2);
  for (let day = 0; day < DAYS; day++) {
    const t0 = START + day * DAY;
    const weekday = ![0, 6].includes(new Date(t0).getUTCDay());
    people.forEach((p, u) => {
      const n = Math.round((p.heavy ? HEAVY_SESSIONS : 17) * (weekday ? 1 : 0.2) * (0.7 + r() * 0.6));
      for (let k = 0; k < n; k++) {
        const minutes = 5 + r() * 15;
        const everyMs = p.heavy ? 30_000 : 30_000 + Math.floor(r() * 30_000);
        const start = t0 + 8 * HOUR + Math.floor(r() * 11 * HOUR);
        list.push({ id: `s${list.length}`, user: u, start, requests: Math.max(1, Math.round((minutes * MIN) / everyMs)), everyMs, medianUsd: medianFor(p.usdPerHour, everyMs) });
      }
    });
  }
  // Two runaways on the replayed day: a heavy user's and a light user's, 20 minutes at 15× their usual rate.
  const planted = ['runaway-heavy', 'runaway-light'];
  list.push({ id: planted[0]!, user: 0, start: REPLAY + 14 * HOUR + 7 * MIN, requests: 40, everyMs: 30_000, medianUsd: medianFor(15 * people[0]!.usdPerHour, 30_000) });
  list.push({ id: planted[1]!, user: 7, start: REPLAY + 10 * HOUR + 31 * MIN, requests: 40, everyMs: 30_000, medianUsd: medianFor(15 * people[7]!.usdPerHour, 30_000) });
  return { list, planted };
}

function rowsOf(list: Session[]): { total: number; row: (i: number) => LedgerRow } {
  const r = rng(7);
  const total = list.reduce((n, s) => n + s.requests, 0);
  let at = 0;
  let k = 0;
  // seedLedger asks for rows in order, once each.
  return {
    total,
    row: () => {
      while (k >= list[at]!.requests) {
        at++;
        k = 0;
      }
      const s = list[at]!;
      const u = 1e-12 + r();
      const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
      const cost = BigInt(Math.round(s.medianUsd * Math.exp(0.6 * normal) * USD));
      const ts = s.start + k * s.everyMs + Math.floor(r() * 5000);
      k++;
      return sampleRow({ id: `${s.id}-${k}`, ts, user: `user${s.user}`, keyId: `key_${s.user}`, team: `team${s.user % 10}`, sessionId: s.id, costPicos: cost, inputTokens: 2000 + Math.floor(r() * 30_000), outputTokens: 100 + Math.floor(r() * 1500) });
    },
  };
}

async function judge(path: string, label: string, planted: readonly string[], judged: number): Promise<void> {
  const storage = openSqlite(path);
  const t0 = performance.now();
  const raised = await replay(storage.ledger, defaultAnomalySettings(), () => undefined, { since: REPLAY, until: REPLAY + DAY, only: 'runaway_session' });
  await storage.close();
  const sessionsRaised = new Set(raised.map((x) => x.detection.evidence.sessionIds[0]!));
  const found = planted.filter((p) => sessionsRaised.has(p));
  const wrong = [...sessionsRaised].filter((x) => !planted.includes(x));
  const byUser = new Map<string, number>();
  for (const x of raised) if (!planted.includes(x.detection.evidence.sessionIds[0]!)) {
    const who = /\((user:[^)]+)\)/.exec(x.detection.message)?.[1] ?? '?';
    byUser.set(who, (byUser.get(who) ?? 0) + 1);
  }
  const top = [...byUser.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4);
  console.log(`${label}: ${wrong.length} of ${judged} ordinary sessions raised (${((100 * wrong.length) / judged).toFixed(2)}%); by user ${JSON.stringify(top)}; planted found: ${found.join(', ') || 'none'}; replay ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  for (const x of raised.filter((y) => planted.includes(y.detection.evidence.sessionIds[0]!))) console.log(`  ${new Date(x.at).toISOString()} ${x.detection.message}`);
  if (wrong.length) console.log(`  e.g. ${raised.find((x) => !planted.includes(x.detection.evidence.sessionIds[0]!))!.detection.message}`);
}

async function main(): Promise<void> {
  const dir = DB ? undefined : mkdtempSync(join(tmpdir(), 'tollgate-runaway-audit-'));
  const path = DB ?? join(dir!, 'ledger.db');
  try {
    const { list, planted } = sessions();
    const { total, row } = rowsOf(list);
    if (!existsSync(path)) console.log(`seeded ${total.toLocaleString('en-US')} rows of ${list.length.toLocaleString('en-US')} sessions in ${seedLedger(path, total, row).toFixed(0)} s`);
    const judged = list.filter((s) => s.start >= REPLAY && s.start < REPLAY + DAY && !planted.includes(s.id)).length;
    await judge(path, 'with spans (schema version 26)', planted, judged);
    const db = new Database(path);
    db.exec('UPDATE rollup_session_hourly SET first_ts = NULL, last_ts = NULL');
    db.close();
    await judge(path, 'spans unknown (as before version 26)', planted, judged);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
