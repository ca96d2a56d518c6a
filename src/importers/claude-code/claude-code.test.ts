import { describe, expect, it } from 'vitest';
import { importer, logDir, sums } from '../testing/fixtures.js';
import { claudeRowId } from './adapter.js';

const SESSION = '11111111-1111-4111-8111-111111111111';
const CWD = '/home/dev/app';
const SONNET = 'claude-sonnet-4-5-20250929';

/** One transcript line of an assistant response (usage-formats.md §1.6). */
function line(o: { msg?: string | null; req?: string | null; out?: number; input?: number; write?: number; read?: number; h1?: number; sidechain?: boolean; ts?: string; model?: string; session?: string; extra?: object; usage?: object }) {
  const message: Record<string, unknown> = {
    model: o.model ?? SONNET,
    type: 'message',
    role: 'assistant',
    content: [{ type: 'text', text: 'ok' }],
    usage: {
      input_tokens: o.input ?? 3,
      cache_creation_input_tokens: o.write ?? 0,
      cache_read_input_tokens: o.read ?? 0,
      ...(o.h1 !== undefined ? { cache_creation: { ephemeral_5m_input_tokens: (o.write ?? 0) - o.h1, ephemeral_1h_input_tokens: o.h1 } } : {}),
      output_tokens: o.out ?? 1,
      ...o.usage,
    },
  };
  if (o.msg !== null) message.id = o.msg ?? 'msg_A';
  return {
    parentUuid: 'p',
    isSidechain: o.sidechain ?? false,
    userType: 'external',
    cwd: CWD,
    sessionId: o.session ?? SESSION,
    version: '2.1.114',
    message,
    ...(o.req !== null ? { requestId: o.req ?? 'req_A' } : {}),
    type: 'assistant',
    uuid: `u-${Math.random()}`,
    timestamp: o.ts ?? '2026-11-20T09:00:03.000Z',
    ...o.extra,
  };
}

const user = { type: 'user', sessionId: SESSION, cwd: CWD, message: { role: 'user', content: 'hi' }, timestamp: '2026-11-20T09:00:00.000Z' };
const file = `projects/-home-dev-app/${SESSION}.jsonl`;

describe('Claude Code transcripts', () => {
  it('counts a response written as several lines once, with the usage of its last line', () => {
    const logs = logDir({ [file]: [user, line({ out: 1, read: 20000, write: 10000 }), line({ out: 2, read: 20000, write: 10000 }), line({ out: 500, read: 20000, write: 10000 })] });
    const { rows } = importer('claude-code', logs.dir).run();
    expect(sums(rows)).toEqual({ rows: 1, input: 3, output: 500, cacheWrite: 10000, cacheRead: 20000 });
    expect(rows[0]).toMatchObject({
      id: claudeRowId('msg_A', 'req_A'),
      upstreamRequestId: 'req_A',
      // The message id is the Messages API's response id, which the gateway records too.
      responseId: 'msg_A',
      source: 'claude-code-log',
      client: 'claude-code',
      sessionId: SESSION,
      project: 'app',
      user: 'dev',
      model: SONNET,
      api: 'anthropic.messages',
      provider: 'anthropic',
      ts: Date.parse('2026-11-20T09:00:03.000Z'),
      unpriced: false,
    });
  });

  it('prices a model labelled [1m] (1M-context mode) as its model, keeping the label as the model asked for', () => {
    const logs = logDir({ [file]: [line({ msg: 'msg_L', req: 'req_L', model: 'claude-sonnet-4-5[1m]', input: 250_000, out: 1_000 }), line({ msg: 'msg_P', req: 'req_P', model: 'claude-sonnet-4-5', input: 250_000, out: 1_000 })] });
    const [labelled, plain] = importer('claude-code', logs.dir).run().rows;
    expect(labelled).toMatchObject({ model: 'claude-sonnet-4-5', modelRequested: 'claude-sonnet-4-5[1m]', unpriced: false });
    // 250,000 × 6e6 + 1,000 × 22.5e6: the long-context prices, as the plain name's.
    expect(labelled!.costPicos).toBe(1_522_500_000_000n);
    expect(plain!.costPicos).toBe(labelled!.costPicos);
  });

  it('prices an advisor’s sub-inference the line’s usage.iterations reports at the advisor model’s rates, as Claude Code does', () => {
    const advice = { type: 'advisor_message', model: 'claude-opus-4-6', input_tokens: 30_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation: null, output_tokens: 1_500 };
    const iterations = [advice, { type: 'message', input_tokens: 20_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation: null, output_tokens: 1_000 }];
    const logs = logDir({ [file]: [line({ model: 'claude-sonnet-4-6', input: 20_000, out: 1_000, usage: { iterations } })] });
    const [row] = importer('claude-code', logs.dir).run().rows;
    // claude-sonnet-4-6: 20,000 × 3e6 + 1,000 × 15e6 = 7.5e10; claude-opus-4-6: 30,000 × 5e6 + 1,500 × 25e6 = 1.875e11 (Claude Code's costUSD: 0.2625).
    expect(row).toMatchObject({ inputTokens: 20_000, outputTokens: 1_000, costPicos: 262_500_000_000n, unpriced: false });
  });

  it('tags a subagent transcript s rows with the agentId its lines name, and leaves the main thread s untagged', () => {
    const sub = `projects/-home-dev-app/${SESSION}/subagents/agent-a7f3c2.jsonl`;
    const logs = logDir({ [file]: [line({ msg: 'msg_M', req: 'req_M' })], [sub]: [line({ msg: 'msg_S', req: 'req_S', sidechain: true, extra: { agentId: 'a7f3c2' } })] });
    const rows = importer('claude-code', logs.dir).run().rows;
    expect(rows.map((r) => [r.responseId, r.tags])).toEqual(
      expect.arrayContaining([
        ['msg_M', { client_version: '2.1.114' }],
        ['msg_S', { client_version: '2.1.114', agent_id: 'a7f3c2' }],
      ]),
    );
  });

  it('refuses a line dated before 1970, counted as such, the rest of the file read as before', () => {
    const logs = logDir({
      [file]: [
        line({ msg: 'msg_1969', req: 'req_1969', ts: '1969-12-31T23:59:59.999Z' }),
        line({ msg: 'msg_year1', req: 'req_year1', ts: '0001-01-01T00:00:00.000Z' }),
        line({ msg: null, req: 'req_none', ts: '1900-06-01T00:00:00Z' }),
        line({ msg: 'msg_epoch', req: 'req_epoch', ts: '1970-01-01T00:00:00.000Z', out: 7 }),
        line({ msg: 'msg_B', req: 'req_B', out: 9 }),
      ],
    });
    const run = importer('claude-code', logs.dir);
    const first = run.run();
    expect(first.rows.map((r) => [r.responseId, r.ts])).toEqual([
      ['msg_epoch', 0],
      ['msg_B', Date.parse('2026-11-20T09:00:03.000Z')],
    ]);
    expect(first.tooEarly).toEqual({ 'claude-code-log': 3 });
    // Read once: a later run starts after them.
    expect(run.run().tooEarly).toEqual({});
  });

  it('reads the first line of a file saved with a byte-order mark, as the ledger import does', () => {
    const logs = logDir({ [file]: [] });
    logs.append(file, '\uFEFF' + JSON.stringify(line({ msg: 'msg_B', req: 'req_B', out: 40 })) + '\r\n' + JSON.stringify(line({ msg: 'msg_C', req: 'req_C', out: 2 })) + '\r\n');
    const { rows } = importer('claude-code', logs.dir).run();
    expect(rows.map((r) => [r.responseId, r.outputTokens])).toEqual([
      ['msg_B', 40],
      ['msg_C', 2],
    ]);
  });

  it('reads a count that is no believable number of tokens (negative, past a billion) as none, so the row still fits the ledger', () => {
    const logs = logDir({ [file]: [line({ msg: 'msg_B', req: 'req_B', input: -5, out: 1e308, read: 2 ** 60 }), line({ msg: 'msg_C', req: 'req_C', input: 7, out: 2e9, read: 40 })] });
    const { rows } = importer('claude-code', logs.dir).run();
    // msg_B has no believable tokens left, so no row; msg_C keeps its real counts.
    expect(sums(rows)).toEqual({ rows: 1, input: 7, output: 0, cacheWrite: 0, cacheRead: 40 });
  });

  it('keeps the largest copy whatever order the copies come in', () => {
    const logs = logDir({ [file]: [line({ out: 700 }), line({ out: 1 }), line({ out: 5 })] });
    expect(sums(importer('claude-code', logs.dir).run().rows).output).toBe(700);
  });

  it('counts lines copied into a resumed session file once', () => {
    const first = [line({ msg: 'msg_1', req: 'req_1', out: 40 }), line({ msg: 'msg_2', req: 'req_2', out: 60 })];
    const resumed = '22222222-2222-4222-8222-222222222222';
    const logs = logDir({ [file]: first, [`projects/-home-dev-app/${resumed}.jsonl`]: [...first, line({ msg: 'msg_3', req: 'req_3', out: 7, session: resumed })] });
    expect(sums(importer('claude-code', logs.dir).run().rows)).toMatchObject({ rows: 3, output: 107 });
  });

  it('counts a sidechain replay (same message, new request id) once, as the parent', () => {
    const parent = line({ msg: 'msg_P', req: 'req_parent', out: 300 });
    const replay = line({ msg: 'msg_P', req: 'req_side', out: 300, sidechain: true });
    const own = line({ msg: 'msg_S', req: 'req_own', out: 11, sidechain: true });
    const logs = logDir({ [file]: [parent], [`projects/-home-dev-app/${SESSION}/subagents/agent-1.jsonl`]: [replay, own] });
    const { rows } = importer('claude-code', logs.dir).run();
    expect(sums(rows)).toMatchObject({ rows: 2, output: 311 });
    expect(rows.find((r) => r.outputTokens === 300)?.upstreamRequestId).toBe('req_parent');
  });

  it('prefers the parent when the sidechain copy was read first, removing the row made for it', () => {
    const logs = logDir({ [file]: [line({ msg: 'msg_P', req: 'req_side', out: 300, sidechain: true }), line({ msg: 'msg_P', req: 'req_parent', out: 300 })] });
    const { rows, removed } = importer('claude-code', logs.dir).run();
    expect(rows.map((r) => r.upstreamRequestId)).toEqual(['req_parent']);
    // Within one run the displaced row never reached the ledger; the removal is harmless.
    expect(removed).toEqual([claudeRowId('msg_P', 'req_side')]);
  });

  it('treats two sidechain copies under different request ids as one response', () => {
    const logs = logDir({ [file]: [line({ msg: 'msg_P', req: 'req_s1', out: 5, sidechain: true }), line({ msg: 'msg_P', req: 'req_s2', out: 9, sidechain: true })] });
    expect(sums(importer('claude-code', logs.dir).run().rows)).toMatchObject({ rows: 1, output: 9 });
  });

  it('counts the same message id under two request ids twice when neither is a sidechain', () => {
    const logs = logDir({ [file]: [line({ msg: 'msg_X', req: 'req_1', out: 5 }), line({ msg: 'msg_X', req: 'req_2', out: 9 })] });
    expect(sums(importer('claude-code', logs.dir).run().rows)).toMatchObject({ rows: 2, output: 14 });
  });

  it('de-duplicates copies without a request id on the message id alone', () => {
    const logs = logDir({ [file]: [line({ req: null, out: 5 }), line({ req: null, out: 50 })] });
    const { rows } = importer('claude-code', logs.dir).run();
    expect(sums(rows)).toMatchObject({ rows: 1, output: 50 });
    expect(rows[0]!.upstreamRequestId).toBeNull();
  });

  it('never merges lines without a message id', () => {
    const logs = logDir({ [file]: [line({ msg: null, out: 5 }), line({ msg: null, out: 5 })] });
    expect(sums(importer('claude-code', logs.dir).run().rows)).toMatchObject({ rows: 2, output: 10 });
  });

  it('breaks a tie in token totals in favour of the copy with a speed field', () => {
    const logs = logDir({ [file]: [line({ out: 5 }), line({ out: 5, usage: { speed: 'standard' } })] });
    const logsFast = logDir({ [file]: [line({ out: 5, usage: { speed: 'standard' } }), line({ out: 5 })] });
    expect(importer('claude-code', logs.dir).run().rows).toHaveLength(1);
    expect(importer('claude-code', logsFast.dir).run().rows).toHaveLength(1);
  });

  it('records the tier a response was priced at: fast mode and US-only inference, none at the standard tier', () => {
    const logs = logDir({
      [file]: [
        line({ msg: 'msg_fast', req: 'req_fast', model: 'claude-opus-5-5', input: 1000, out: 100, usage: { service_tier: 'standard', speed: 'fast', inference_geo: 'us' } }),
        line({ msg: 'msg_std', req: 'req_std', model: 'claude-opus-5-5', input: 1000, out: 100, usage: { service_tier: 'standard', speed: 'standard', inference_geo: 'global' } }),
      ],
    });
    const rows = importer('claude-code', logs.dir).run().rows;
    const fast = rows.find((r) => r.responseId === 'msg_fast')!;
    const std = rows.find((r) => r.responseId === 'msg_std')!;
    // Opus 5.5 at $4 / $20 a million (protocols.md §6.2): $0.006, fast mode 2x, US-only 1.1x.
    expect(std.costPicos).toBe(6_000_000_000n);
    expect(fast).toMatchObject({ serviceTier: 'fast+us', costPicos: 13_200_000_000n });
    expect('serviceTier' in std).toBe(false);
  });

  it('tags each row with the Claude Code version its line names, and none for a version that is not one', () => {
    const logs = logDir({
      [file]: [
        line({ msg: 'msg_v1', req: 'req_v1' }),
        line({ msg: 'msg_v2', req: 'req_v2', extra: { version: '2.1.197' } }),
        line({ msg: 'msg_dev', req: 'req_dev', extra: { version: 'dev' } }),
        line({ msg: 'msg_none', req: 'req_none', extra: { version: undefined } }),
      ],
    });
    const tags = Object.fromEntries(importer('claude-code', logs.dir).run().rows.map((r) => [r.responseId, r.tags]));
    expect(tags).toEqual({ msg_v1: { client_version: '2.1.114' }, msg_v2: { client_version: '2.1.197' }, msg_dev: {}, msg_none: {} });
  });

  it('skips lines that carry no billable usage, and accepts the wrapped and padded forms', () => {
    const logs = logDir({
      [file]: [
        line({ msg: 'msg_syn', model: '<synthetic>', out: 0, input: 0 }),
        line({ msg: 'msg_empty', session: '' }),
        line({ msg: '', req: 'req_e' }),
        line({ msg: 'msg_zero', out: 0, input: 0 }),
        { type: 'summary', summary: 'usage', leafUuid: 'x' },
        { ...line({ msg: 'msg_bad_ts' }), timestamp: 'yesterday' },
        // Agent progress lines wrap the message (usage-formats.md §1.5).
        { type: 'progress', sessionId: SESSION, cwd: CWD, data: { message: { timestamp: '2026-11-20T10:00:00.000Z', requestId: 'req_W', isSidechain: false, message: { id: 'msg_W', model: SONNET, usage: { input_tokens: 1, output_tokens: 2 } } } } },
      ],
    });
    // Pretty-printed JSON and a version that is not semver are still usage (ccusage drops both).
    logs.append(file, JSON.stringify(line({ msg: 'msg_pretty', req: 'req_pretty', out: 4 }), null, 0).replace('"usage":{', '"usage": {') + '\n');
    logs.append(file, JSON.stringify({ ...line({ msg: 'msg_dev', req: 'req_dev', out: 8 }), version: 'dev' }) + '\n');
    // A null cache count is read as none.
    logs.append(file, JSON.stringify(line({ msg: 'msg_null', req: 'req_null', out: 16, usage: { cache_creation_input_tokens: null } })) + '\n');
    const { rows } = importer('claude-code', logs.dir).run();
    expect(rows.map((r) => r.upstreamRequestId).sort()).toEqual(['req_W', 'req_dev', 'req_null', 'req_pretty']);
    expect(sums(rows).output).toBe(2 + 4 + 8 + 16);
  });

  it('reads a timestamp without an offset as UTC whatever the machine’s zone, and skips one on a day that does not exist', () => {
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata';
    try {
      const logs = logDir({
        [file]: [
          line({ msg: 'msg_local', req: 'req_local', ts: '2026-11-01T23:30:00.000' }),
          line({ msg: 'msg_feb30', req: 'req_feb30', ts: '2026-02-30T10:00:00.000Z' }),
          line({ msg: 'msg_hour25', req: 'req_hour25', ts: '2026-11-01T25:00:00.000Z' }),
          line({ msg: 'msg_offset', req: 'req_offset', ts: '2026-11-01T23:30:00.000+05:30' }),
        ],
      });
      const { rows } = importer('claude-code', logs.dir).run();
      expect(rows.map((r) => [r.upstreamRequestId, new Date(r.ts).toISOString()])).toEqual([
        ['req_local', '2026-11-01T23:30:00.000Z'],
        ['req_offset', '2026-11-01T18:00:00.000Z'],
      ]);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('prices cache writes by TTL: the 1-hour part at 2x input, the rest at 1.25x', () => {
    const logs = logDir({ [file]: [line({ input: 100_000, write: 50_000, h1: 20_000, out: 0 })] });
    const [row] = importer('claude-code', logs.dir).run().rows;
    expect(row).toMatchObject({ inputTokens: 150_000, cacheWriteTokens: 50_000, cacheWrite1hTokens: 20_000 });
    // Sonnet 4.5 (under its 200k long-context threshold): $3/M input; 30k 5-minute writes at $3.75/M, 20k 1-hour writes at $6/M.
    expect(row!.costPicos).toBe(300_000_000_000n + 112_500_000_000n + 120_000_000_000n);
  });

  it('reads only what was appended, and replaces a partial row when its final usage arrives later', () => {
    const logs = logDir({ [file]: [user, line({ msg: 'msg_1', req: 'req_1', out: 1 })] });
    const imp = importer('claude-code', logs.dir);
    const first = imp.run();
    expect(sums(first.rows)).toMatchObject({ rows: 1, output: 1 });

    expect(imp.run()).toMatchObject({ rows: [], filesRead: 0, bytesRead: 0 });

    const more = [line({ msg: 'msg_1', req: 'req_1', out: 250 }), line({ msg: 'msg_2', req: 'req_2', out: 9 })].map((l) => JSON.stringify(l) + '\n').join('');
    logs.append(file, more);
    const second = imp.run();
    expect(second.bytesRead).toBe(Buffer.byteLength(more));
    // The same id as before with the final usage: an upsert replaces the partial row.
    expect(second.rows.map((r) => [r.id, r.outputTokens])).toEqual([
      [claudeRowId('msg_1', 'req_1'), 250],
      [claudeRowId('msg_2', 'req_2'), 9],
    ]);
    // A replayed placeholder copy later on changes nothing.
    logs.append(file, JSON.stringify(line({ msg: 'msg_1', req: 'req_1', out: 1 })) + '\n');
    expect(imp.run().rows).toEqual([]);
  });

  it('reads a last line still being written only once it is complete', () => {
    const logs = logDir({ [file]: [line({ msg: 'msg_1', req: 'req_1', out: 3 })] });
    const whole = JSON.stringify(line({ msg: 'msg_2', req: 'req_2', out: 6 }));
    logs.append(file, whole.slice(0, 40));
    const imp = importer('claude-code', logs.dir);
    expect(sums(imp.run().rows)).toMatchObject({ rows: 1, output: 3 });
    logs.append(file, whole.slice(40) + '\n');
    expect(sums(imp.run().rows)).toMatchObject({ rows: 1, output: 6 });
  });
});
