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

  it('keeps a Codex count with the session that made it, not the fork that copied it', async () => {
    const work = mkdtempSync(join(tmpdir(), 'tollgate-import-cut-'));
    const day = join(work, 'codex', 'sessions', '2026', '11', '20');
    mkdirSync(day, { recursive: true });
    const db = join(work, 'ledger.db');
    const state = join(work, 'state', 'import.json');
    const args = ['import', '--db', db, '--source', 'codex', '--dir', join(work, 'codex'), '--state', state, '--json'];
    const rollout = (id: string) => [
      { timestamp: '2026-11-20T09:00:00.000Z', type: 'session_meta', payload: { id, cwd: '/home/dev/app', cli_version: '0.60.0' } },
      { timestamp: '2026-11-20T09:00:00.000Z', type: 'turn_context', payload: { model: 'gpt-5', cwd: '/home/dev/app' } },
      { timestamp: '2026-11-20T09:00:01.000Z', type: 'event_msg', payload: { type: 'token_count', info: { last_token_usage: { input_tokens: 500, cached_input_tokens: 0, output_tokens: 50, reasoning_output_tokens: 0, total_tokens: 550 } } } },
    ];
    const write = (name: string, id: string) => writeFileSync(join(day, name), rollout(id).map((l) => JSON.stringify(l) + '\n').join(''));
    write('rollout-2026-11-20T09-00-00-sess-1.jsonl', 'sess-1');
    expect((await cli(args)).code).toBe(0);
    // A fork copies the count; the import that reads it (that file alone) cannot save its state:
    // a folder where the state's second file goes, written first, leaves the first run's state.
    write('rollout-2026-11-20T10-00-00-sess-fork.jsonl', 'sess-fork');
    const memory = join(work, 'state', 'import.memory.json');
    rmSync(memory);
    mkdirSync(memory);
    const cut = await cli(args);
    expect(cut).toMatchObject({ code: 1, err: expect.stringContaining('the import state could not be saved') });
    rmSync(memory, { recursive: true });
    const next = await cli(args);
    expect(next.code, next.err).toBe(0);
    expect(JSON.parse(next.out)).toMatchObject({ filesRead: 1 });
    const s = openSqlite(db);
    try {
      const sessions = [];
      for await (const r of s.ledger.scan({ since: 0 })) sessions.push(r.sessionId);
      expect(sessions).toEqual(['sess-1']);
    } finally {
      await s.close();
    }
  });
});
