import { describe, expect, it } from 'vitest';
import { importer, logDir } from '../testing/fixtures.js';

const T = (s: number) => new Date(Date.UTC(2026, 10, 20, 9, 0, s)).toISOString();
const meta = (extra: object = {}) => ({ timestamp: T(0), type: 'session_meta', payload: { id: 'sess-1', timestamp: T(0), cwd: '/home/dev/app', originator: 'codex_cli_rs', cli_version: '0.60.0', ...extra } });
const context = (model: string, s = 0) => ({ timestamp: T(s), type: 'turn_context', payload: { cwd: '/home/dev/app', model, effort: 'medium' } });
const usage = (input: number, cached: number, output: number, reasoning = 0) => ({ input_tokens: input, cached_input_tokens: cached, output_tokens: output, reasoning_output_tokens: reasoning, total_tokens: input + output });
const count = (s: number, info: object | null) => ({ timestamp: T(s), type: 'event_msg', payload: { type: 'token_count', info } });
const file = 'sessions/2026/11/20/rollout-2026-11-20T09-00-00-sess-1.jsonl';
/** A `token_usage_record` line, shaped as Codex 0.169.0 writes it (a real rollout, the fake upstream's answers). */
const record = (s: number, id: string, u: object, thread = 'sess-1') => ({ timestamp: T(s), ordinal: 10, type: 'token_usage_record', payload: { thread_id: thread, turn_id: 't1', session_id: 'sess-0', root_turn_id: 't1', response_id: id, usage: u, turn_token_usage: u, thread_token_usage: u } });

const totals = (rows: { inputTokens: number; cacheReadTokens: number; outputTokens: number; reasoningTokens: number }[]) =>
  rows.reduce((a, r) => ({ rows: a.rows + 1, input: a.input + r.inputTokens, cached: a.cached + r.cacheReadTokens, output: a.output + r.outputTokens, reasoning: a.reasoning + r.reasoningTokens }), { rows: 0, input: 0, cached: 0, output: 0, reasoning: 0 });

describe('Codex CLI rollouts', () => {
  it('takes last_token_usage per response, the model from turn_context, cached input inside input', () => {
    const logs = logDir({
      [file]: [
        meta(),
        context('gpt-5-codex'),
        count(1, { total_token_usage: usage(1000, 200, 100, 40), last_token_usage: usage(1000, 200, 100, 40) }),
        count(2, { total_token_usage: usage(3000, 1200, 150, 60), last_token_usage: usage(2000, 1000, 50, 20) }),
      ],
    });
    const { rows } = importer('codex', logs.dir).run();
    expect(totals(rows)).toEqual({ rows: 2, input: 3000, cached: 1200, output: 150, reasoning: 60 });
    expect(rows[0]).toMatchObject({ model: 'gpt-5-codex', client: 'codex', source: 'codex-log', sessionId: 'sess-1', project: 'app', api: 'openai.responses', provider: 'openai', upstreamRequestId: null, unpriced: false });
  });

  it('takes the response id from the token_usage_record line before a count of the same usage, and the counts from the count', () => {
    const logs = logDir({
      [file]: [
        meta(),
        context('gpt-5-codex'),
        record(1, 'resp_1', usage(1000, 200, 100, 40)),
        count(1, { total_token_usage: usage(1000, 200, 100, 40), last_token_usage: usage(1000, 200, 100, 40) }),
        // A record whose usage is not the next count's names no row; nor does a count without a record.
        record(2, 'resp_2', usage(1, 0, 1)),
        count(2, { total_token_usage: usage(3000, 1200, 150, 60), last_token_usage: usage(2000, 1000, 50, 20) }),
        count(3, { total_token_usage: usage(3500, 1200, 160, 60), last_token_usage: usage(500, 0, 10, 0) }),
      ],
    });
    const { rows } = importer('codex', logs.dir).run();
    expect(rows.map((r) => [r.inputTokens, r.outputTokens, r.responseId ?? null])).toEqual([
      [1000, 100, 'resp_1'],
      [2000, 50, null],
      [500, 10, null],
    ]);
  });

  it('reads the cache writes of GPT-5.6 and later inside input, from last_token_usage or the difference of totals', () => {
    const withWrites = (input: number, cached: number, writes: number, output: number) => ({ ...usage(input, cached, output), cache_write_input_tokens: writes });
    const logs = logDir({
      [file]: [
        meta(),
        context('gpt-5.6-sol'),
        count(1, { total_token_usage: withWrites(4000, 1000, 2500, 40), last_token_usage: withWrites(4000, 1000, 2500, 40) }),
        count(2, { total_token_usage: withWrites(9000, 4500, 3000, 90) }),
      ],
    });
    const { rows } = importer('codex', logs.dir).run();
    expect(rows.map((r) => [r.inputTokens, r.cacheReadTokens, r.cacheWriteTokens])).toEqual([
      [4000, 1000, 2500],
      [5000, 3500, 500],
    ]);
    // gpt-5.6-sol: 500 uncached at $4/M, 1,000 read at $0.40/M, 2,500 written at $5/M, 40 out at $20/M.
    expect(rows[0]!.costPicos).toBe(2_000_000_000n + 400_000_000n + 12_500_000_000n + 800_000_000n);
  });

  it('refuses a count dated before 1970, counted as such; the next count is still only its own tokens', () => {
    const early = { ...count(1, { total_token_usage: usage(1000, 0, 100) }), timestamp: '1969-12-31T23:59:00.000Z' };
    const logs = logDir({ [file]: [meta(), context('gpt-5-codex'), early, count(2, { total_token_usage: usage(1500, 0, 130) })] });
    const r = importer('codex', logs.dir).run();
    expect(totals(r.rows)).toEqual({ rows: 1, input: 500, cached: 0, output: 30, reasoning: 0 });
    expect(r.tooEarly).toEqual({ 'codex-log': 1 });
  });

  it('reads a rollout saved with a byte-order mark: its session_meta line is its first', () => {
    const logs = logDir({ [file]: [] });
    const lines = [meta(), context('gpt-5-codex'), count(1, { total_token_usage: usage(1000, 0, 100), last_token_usage: usage(1000, 0, 100) })];
    logs.append(file, '\uFEFF' + lines.map((l) => JSON.stringify(l) + '\n').join(''));
    const { rows } = importer('codex', logs.dir).run();
    expect(rows.map((r) => [r.sessionId, r.tags])).toEqual([['sess-1', { client_version: '0.60.0' }]]);
  });

  it('tags each row with the Codex version of its session, kept for an import that resumes the file', () => {
    const first = [meta(), context('gpt-5-codex'), count(1, { total_token_usage: usage(1000, 0, 100), last_token_usage: usage(1000, 0, 100) })];
    const logs = logDir({ [file]: first });
    const run = importer('codex', logs.dir);
    expect(run.run().rows.map((r) => r.tags)).toEqual([{ client_version: '0.60.0' }]);
    logs.append(file, JSON.stringify(count(2, { total_token_usage: usage(3000, 0, 150), last_token_usage: usage(2000, 0, 50) })) + '\n');
    expect(run.run().rows.map((r) => r.tags)).toEqual([{ client_version: '0.60.0' }]);
    const dev = logDir({ [file]: [meta({ cli_version: 'dev' }), context('gpt-5-codex'), count(1, { last_token_usage: usage(10, 0, 1) })] });
    expect(importer('codex', dev.dir).run().rows.map((r) => r.tags)).toEqual([{}]);
  });

  it('falls back to the difference of cumulative totals, and skips a repeated unchanged total', () => {
    const logs = logDir({
      [file]: [
        meta(),
        context('gpt-5'),
        count(1, { total_token_usage: usage(1000, 0, 100) }),
        count(2, { total_token_usage: usage(1000, 0, 100) }),
        count(3, { total_token_usage: usage(2500, 500, 130) }),
        count(4, null),
        count(5, { total_token_usage: usage(2500, 500, 130), last_token_usage: usage(1500, 500, 30) }),
      ],
    });
    expect(totals(importer('codex', logs.dir).run().rows)).toEqual({ rows: 2, input: 2500, cached: 500, output: 130, reasoning: 0 });
  });

  it('drops zero usage, and counts the same event found in two files once', () => {
    const lines = [meta(), context('gpt-5'), count(1, { last_token_usage: usage(0, 0, 0) }), count(2, { last_token_usage: usage(500, 0, 50) })];
    const logs = logDir({ [file]: lines, 'sessions/2026/11/21/rollout-2026-11-21T09-00-00-sess-2.jsonl': lines });
    expect(totals(importer('codex', logs.dir).run().rows)).toMatchObject({ rows: 1, input: 500 });
  });

  it('reads a timestamp without an offset as UTC whatever the machine’s zone, and skips one on a day that does not exist', () => {
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata';
    try {
      const at = (timestamp: string, input: number) => ({ ...count(1, { last_token_usage: usage(input, 0, 10) }), timestamp });
      const logs = logDir({ [file]: [meta(), context('gpt-5'), at('2026-11-01T23:30:00.000', 100), at('2026-02-30T10:00:00.000Z', 200), at('2026-11-01T23:30:00.000-03:00', 300)] });
      const { rows } = importer('codex', logs.dir).run();
      expect(rows.map((r) => [r.inputTokens, new Date(r.ts).toISOString()])).toEqual([
        [100, '2026-11-01T23:30:00.000Z'],
        [300, '2026-11-02T02:30:00.000Z'],
      ]);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('leaves an event a forked session copied with the session that made it', () => {
    const own = [meta(), context('gpt-5'), count(1, { last_token_usage: usage(500, 0, 50) })];
    const fork = [meta({ id: 'sess-fork', forked_from_id: 'sess-1' }), ...own.slice(1), count(30, { last_token_usage: usage(700, 0, 70) })];
    const logs = logDir({ [file]: own, 'sessions/2026/11/21/rollout-2026-11-21T09-00-00-sess-fork.jsonl': fork });
    const bySession = (rows: { sessionId: string | null; inputTokens: number }[]) => rows.map((r) => [r.sessionId, r.inputTokens]).sort();
    expect(bySession(importer('codex', logs.dir).run().rows)).toEqual([
      ['sess-1', 500],
      ['sess-fork', 700],
    ]);
  });

  it('starts the cumulative totals again when another session begins in the same file', () => {
    const logs = logDir({
      [file]: [meta(), context('gpt-5'), count(1, { total_token_usage: usage(40_000, 0, 1000) }), meta({ id: 'sess-2' }), context('gpt-5', 40), count(50, { total_token_usage: usage(3000, 0, 100) }), count(55, { total_token_usage: usage(5000, 0, 300) })],
    });
    const rows = importer('codex', logs.dir).run().rows.map((r) => [r.sessionId, r.inputTokens, r.outputTokens]);
    expect(rows).toEqual([
      ['sess-1', 40_000, 1000],
      ['sess-2', 3000, 100],
      ['sess-2', 2000, 200],
    ]);
  });

  it('counts a cumulative total that started again from zero (a compacted conversation) as its own tokens', () => {
    const logs = logDir({
      [file]: [
        meta(),
        context('gpt-5'),
        count(1, { total_token_usage: usage(10_000, 0, 1000) }),
        count(2, { total_token_usage: usage(20_000, 0, 2000) }),
        count(3, { total_token_usage: usage(3000, 0, 300) }),
        count(4, { total_token_usage: usage(7000, 0, 700) }),
      ],
    });
    expect(importer('codex', logs.dir).run().rows.map((r) => [r.inputTokens, r.outputTokens])).toEqual([
      [10_000, 1000],
      [10_000, 1000],
      [3000, 300],
      [4000, 400],
    ]);
  });

  it('counts an identical last_token_usage at another time again (no totals to tell a repeat)', () => {
    const logs = logDir({ [file]: [meta(), context('gpt-5'), count(1, { last_token_usage: usage(500, 0, 50) }), count(9, { last_token_usage: usage(500, 0, 50) })] });
    expect(totals(importer('codex', logs.dir).run().rows)).toMatchObject({ rows: 2, input: 1000 });
  });

  it('prefers the active copy of a session over its archived copy', () => {
    const rel = '2026/11/20/rollout-x.jsonl';
    const logs = logDir({
      [`sessions/${rel}`]: [meta(), context('gpt-5'), count(1, { last_token_usage: usage(500, 0, 50) })],
      [`archived_sessions/${rel}`]: [meta(), context('gpt-5'), count(7, { last_token_usage: usage(999, 0, 50) })],
    });
    expect(totals(importer('codex', logs.dir).run().rows)).toMatchObject({ rows: 1, input: 500 });
  });

  it("skips the burst of the parent's counts a spawned sub-agent thread replays at its start", () => {
    const logs = logDir({
      [file]: [
        meta({ source: { subagent: { thread_spawn: { parent_thread_id: 'p', depth: 1 } } } }),
        context('gpt-5'),
        count(0, { total_token_usage: usage(9000, 0, 900), last_token_usage: usage(4000, 0, 400) }),
        count(0, { total_token_usage: usage(9500, 0, 950), last_token_usage: usage(500, 0, 50) }),
        count(30, { total_token_usage: usage(10_000, 0, 1000), last_token_usage: usage(500, 0, 50) }),
      ],
    });
    expect(totals(importer('codex', logs.dir).run().rows)).toMatchObject({ rows: 1, input: 500, output: 50 });
  });

  it('keeps a spawned sub-agent thread count of its first second that its own token_usage_record names', () => {
    const logs = logDir({
      [file]: [
        meta({ source: { subagent: { thread_spawn: { parent_thread_id: 'p', depth: 1 } } } }),
        context('gpt-5'),
        // A parent's record copied with its count is still the replay.
        record(0, 'resp_parent', usage(4000, 0, 400), 'p'),
        count(0, { total_token_usage: usage(4000, 0, 400), last_token_usage: usage(4000, 0, 400) }),
        record(0, 'resp_own', usage(500, 0, 50)),
        count(0, { total_token_usage: usage(4500, 0, 450), last_token_usage: usage(500, 0, 50) }),
      ],
    });
    expect(importer('codex', logs.dir).run().rows.map((r) => [r.inputTokens, r.responseId])).toEqual([[500, 'resp_own']]);
  });

  it('leaves the model unknown (and the row unpriced) when no turn_context named it', () => {
    const logs = logDir({ [file]: [meta(), count(1, { last_token_usage: usage(500, 0, 50) })] });
    expect(importer('codex', logs.dir).run().rows[0]).toMatchObject({ model: 'unknown', unpriced: true, costPicos: null });
  });

  it('resumes a file where it stopped, with the cumulative total and model it had reached', () => {
    const logs = logDir({ [file]: [meta(), context('gpt-5'), count(1, { total_token_usage: usage(1000, 0, 100) })] });
    const imp = importer('codex', logs.dir);
    expect(totals(imp.run().rows)).toMatchObject({ rows: 1, input: 1000 });
    logs.append(file, JSON.stringify(count(2, { total_token_usage: usage(1000, 0, 100) })) + '\n' + JSON.stringify(count(3, { total_token_usage: usage(1600, 100, 120) })) + '\n');
    const next = imp.run().rows;
    expect(totals(next)).toEqual({ rows: 1, input: 600, cached: 100, output: 20, reasoning: 0 });
    expect(next[0]!.model).toBe('gpt-5');
  });
});
