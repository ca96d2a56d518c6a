import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toJsonLine } from '../../src/reports/export.js';
import { openSqlite } from '../../src/storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../../src/storage/testing/rows.js';
import { cliWithEnv as cli } from '../support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'tollgate-import-dates-'));

async function storedIds(db: string): Promise<string[]> {
  const s = openSqlite(db);
  try {
    const ids: string[] = [];
    for await (const r of s.ledger.scan({})) ids.push(r.id);
    return ids.sort();
  } finally {
    await s.close();
  }
}

/** A Claude Code transcript line of one response, stamped `ts`. */
const transcript = (msg: string, ts: string) =>
  JSON.stringify({ type: 'assistant', sessionId: 's1', cwd: '/home/dev/app', version: '2.1.114', requestId: `req_${msg}`, uuid: `u_${msg}`, timestamp: ts, message: { id: msg, model: 'claude-sonnet-4-5-20250929', role: 'assistant', usage: { input_tokens: 3, output_tokens: 10, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } } }) + '\n';

describe('imported lines dated before 1970', () => {
  it('agent logs: the line is skipped, counted per source in the summary and its JSON, and the rest written', async () => {
    const dir = join(work, 'claude', 'projects', '-home-dev-app');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 's1.jsonl'), transcript('msg_ok', '2026-11-20T09:00:03.000Z') + transcript('msg_1969', '1969-12-31T23:30:00.000Z') + transcript('msg_year1', '0001-01-01T00:00:00Z'));
    const db = join(work, 'logs.db');
    const args = ['import', '--source', 'claude-code', '--dir', join(work, 'claude'), '--db', db, '--no-progress'];
    const text = await cli([...args, '--state', join(work, 'state-text.json'), '--dry-run']);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toContain('claude-code-log: 1 response, 10 output tokens, $0.000159; skipped 2 lines dated before 1970-01-01, which the ledger does not hold (a clock that was not set?)\n');
    const json = await cli([...args, '--state', join(work, 'state-json.json'), '--json']);
    expect(json.code, json.err).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ written: 1, sources: { 'claude-code-log': { rows: 1, written: 1, skippedBefore1970: 2 } } });
    expect(await storedIds(db)).toHaveLength(1);
  });

  it('a ledger file: the line is skipped and named, the load goes on, and --json counts it', async () => {
    const file = join(work, 'early.jsonl');
    const line = (id: string, ts: number) => toJsonLine(sampleRow({ id, ts }));
    // 1969 as an older import stored it: the export writes it as any other time.
    writeFileSync(file, line('good-1', Date.UTC(2026, 10, 1)) + line('old-1969', Date.UTC(1969, 11, 31, 23)) + line('good-2', Date.UTC(2026, 10, 2)) + line('old-1900', Date.UTC(1900, 0, 1)));
    const db = join(work, 'early.db');
    const r = await cli(['import', '--format', 'ledger', file, '--db', db]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('Read 2 rows, wrote 2 (0 already present); skipped 2 lines dated before 1970-01-01, which the ledger does not hold (a clock that was not set?): lines 2, 4.\n');
    expect(await storedIds(db)).toEqual(['good-1', 'good-2']);
    const again = await cli(['import', '--format', 'ledger', file, '--db', db, '--json']);
    expect(JSON.parse(again.out)).toEqual({ read: 2, written: 0, skipped: 2, skipped_before_1970: 2 });
  });
});
