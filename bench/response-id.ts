import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LedgerRow } from '../src/core/ledger-row.js';
import { openDb } from '../src/storage/sqlite/db.js';
import { sqliteLedger } from '../src/storage/sqlite/ledger.js';
import { rng } from '../src/storage/testing/rows.js';
import { benchRow } from './reports.js';
import { median } from './stats.js';

// `npx tsx bench/response-id.ts [--rows N] [--rounds R]`: whether the response-id column (migration 16)
// should have an index. (1) The gateway's write path: CPU per row of inserting gateway rows,
// each with a response id, in the ledger writer's batches of 500 into a fresh SQLite file,
// with an index on response_id and without (as shipped), in alternation. (2) The lookup a
// batch of 100 span or log rows makes: by that index, against the shipped time-bounded read of
// the rows around the batch's time through requests_ts, per window width.
const arg = (name: string, fallback: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const ROWS = arg('--rows', 200_000);
const ROUNDS = arg('--rounds', 3);
const BATCH = 500;
const LOOKUP = 100;

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const r = rng(7);
const responseId = () => `chatcmpl-${Array.from({ length: 29 }, () => ALPHABET[Math.floor(r() * ALPHABET.length)]).join('')}`;
// The reports benchmark's traffic and density (10 million rows over 30 days, about 14,000 an hour).
const rows: LedgerRow[] = Array.from({ length: ROWS }, (_, i) => ({ ...benchRow(i, 10_000_000, r), responseId: responseId() }));
const batches: LedgerRow[][] = [];
for (let i = 0; i < ROWS; i += BATCH) batches.push(rows.slice(i, i + BATCH));

interface Round {
  insertUs: number;
  lookups: { label: string; us: number }[];
}

async function round(indexed: boolean, lookups: boolean): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-response-id-'));
  const db = openDb(join(dir, 'ledger.db'));
  try {
    if (indexed) db.exec('CREATE INDEX requests_response_id ON requests (response_id)');
    const ledger = sqliteLedger(db);
    const t = cpuUs();
    for (const b of batches) await ledger.insert(b);
    const insertUs = (cpuUs() - t) / ROWS;
    const out: Round = { insertUs, lookups: [] };
    if (!lookups) return out;
    // A batch of span rows from the middle of the ledger: half match a gateway row, half do not.
    const mid = Math.floor(ROWS / 2);
    const ids = Array.from({ length: LOOKUP }, (_, i) => (i % 2 === 0 ? rows[mid + i * 7]!.responseId! : responseId()));
    const at = rows[mid]!.ts;
    const timed = (label: string, sql: string, params: unknown[]) => {
      const stmt = db.prepare(sql);
      stmt.all(params);
      const n = 20;
      const c = cpuUs();
      let found = 0;
      for (let k = 0; k < n; k++) found = stmt.all(params).length;
      out.lookups.push({ label: `${label} (${found} found)`, us: (cpuUs() - c) / n });
    };
    const json = JSON.stringify(ids);
    if (indexed) timed('index', "SELECT response_id FROM requests WHERE response_id IN (SELECT value FROM json_each(?)) AND source <> 'otel-genai'", [json]);
    else {
      for (const minutes of [2, 10, 60]) {
        const w = minutes * 60_000;
        timed(`ts ±${minutes} min`, "SELECT response_id FROM requests WHERE ts BETWEEN ? AND ? AND response_id IN (SELECT value FROM json_each(?)) AND source <> 'otel-genai'", [at - w, at + w, json]);
      }
    }
    return out;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs: { indexed: Round[]; plain: Round[] } = { indexed: [], plain: [] };
for (let k = 0; k < ROUNDS; k++) {
  runs.indexed.push(await round(true, k === ROUNDS - 1));
  runs.plain.push(await round(false, k === ROUNDS - 1));
}
const med = (xs: Round[]) => median(xs.map((x) => x.insertUs));
const [a, b] = [med(runs.indexed), med(runs.plain)];
process.stdout.write(
  `${ROWS} gateway rows with response ids, batches of ${BATCH}, CPU µs per row, median of ${ROUNDS} alternating rounds: ` +
    `with requests_response_id ${a.toFixed(2)} (${runs.indexed.map((x) => x.insertUs.toFixed(1)).join(' ')}), ` +
    `without ${b.toFixed(2)} (${runs.plain.map((x) => x.insertUs.toFixed(1)).join(' ')}): +${(((a - b) / b) * 100).toFixed(1)}%\n`,
);
for (const l of [...runs.indexed.at(-1)!.lookups, ...runs.plain.at(-1)!.lookups]) process.stdout.write(`lookup of ${LOOKUP} response ids, ${l.label}: ${(l.us / 1000).toFixed(2)} ms CPU\n`);
