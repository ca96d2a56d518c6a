import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/storage/sqlite/sqlite-storage.js';
import { cliWithEnv as cli } from '../support/cli.js';

const line = (output: number) =>
  JSON.stringify({ cwd: '/home/dev/app', sessionId: 's-1', version: '2.1.114', requestId: 'req_grow', type: 'assistant', timestamp: '2026-11-20T09:00:00.000Z', message: { id: 'msg_grow', model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 10, output_tokens: output, cache_read_input_tokens: 1000, cache_creation_input_tokens: 0 } } }) + '\n';

async function outputTokens(db: string): Promise<number[]> {
  const s = openSqlite(db);
  try {
    const rows = [];
    for await (const r of s.ledger.scan({ since: 0 })) rows.push(r.outputTokens);
    return rows;
  } finally {
    await s.close();
  }
}

describe('tollgate import after a write whose state was not saved', () => {
  it('replaces the rows that write stored when the responses they came from grew since', async () => {
    const work = mkdtempSync(join(tmpdir(), 'tollgate-import-cut-'));
    const file = join(work, 'logs', 'projects', 'app', 's-1.jsonl');
    mkdirSync(join(work, 'logs', 'projects', 'app'), { recursive: true });
    const db = join(work, 'ledger.db');
    const state = join(work, 'state', 'import.json');
    const args = ['import', '--db', db, '--source', 'claude-code', '--dir', join(work, 'logs'), '--state', state, '--json'];
    // Claude Code has written the response's first block, with its placeholder output count.
    writeFileSync(file, line(1));
    // The state cannot be saved (a folder in its place): the rows are written, the state is not,
    // as when the import is killed between the two.
    mkdirSync(state, { recursive: true });
    const cut = await cli(args);
    expect(cut.code).not.toBe(0);
    expect(cut.err).toContain('the rows are written, but the import state could not be saved');
    expect(await outputTokens(db)).toEqual([1]);
    rmSync(state, { recursive: true });
    // The response's last block, with its final usage.
    appendFileSync(file, line(400));
    const next = await cli(args);
    expect(next.code, next.err).toBe(0);
    expect(await outputTokens(db)).toEqual([400]);
    // Saved now: the run after it writes nothing.
    expect(JSON.parse((await cli(args)).out)).toMatchObject({ filesRead: 0, written: 0 });
  });
});
