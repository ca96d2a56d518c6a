import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sessionHours } from './session-hours.js';

const H = Date.UTC(2026, 10, 20, 9);

describe('sessionHours', () => {
  it('knows a session-hour’s span when only an emptied rollup row (every request taken away) lacks one', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE rollup_session_hourly (hour INTEGER, session_id TEXT, user_name TEXT, key_id TEXT, model TEXT, requests INTEGER, input_tokens INTEGER, output_tokens INTEGER, cost_micros INTEGER, cost_rest_picos INTEGER, first_ts INTEGER, last_ts INTEGER)');
    const put = db.prepare('INSERT INTO rollup_session_hourly VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0, 0, ?, ?)');
    put.run(H, 's1', 'alice', 'k1', 'gpt-5', 2, H + 60_000, H + 600_000);
    // Written before version 26 (no span), then emptied by a replacement that moved its one request to another model.
    put.run(H, 's1', 'alice', 'k1', 'gpt-4o', 0, null, null);
    // Still holding requests without a span: the session-hour's span is unknown.
    put.run(H, 's2', 'alice', 'k1', 'gpt-5', 1, H + 60_000, H + 60_000);
    put.run(H, 's2', 'alice', 'k1', 'gpt-4o', 1, null, null);
    const run = (sql: string, params: unknown[]) => Promise.resolve(db.prepare(sql).all(params) as Record<string, unknown>[]);
    const hours = await sessionHours(run, () => '?', { since: H, until: H + 3_600_000 });
    expect(hours.map((h) => [h.sessionId, h.firstTs, h.lastTs])).toEqual([
      ['s1', H + 60_000, H + 600_000],
      ['s2', undefined, undefined],
    ]);
    db.close();
  });
});
