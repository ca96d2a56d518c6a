import { describe, expect, it } from 'vitest';
import type { Api } from '../core/api.js';
import type { LedgerRow } from '../core/ledger-row.js';
import { createPricer } from '../pricing/index.js';
import { CacheAnalyser, type CacheReport } from './analyse.js';
import { encodePrefix, hashPrefix } from './prefix.js';
import { cacheReportJson, renderCacheTable, rowPricer } from './report.js';

// Flat test prices per token, in picos: $3/M input, writes 1.25× and 2×, reads 0.1×.
const IN = 3_000_000n;
const W5 = 3_750_000n;
const W1H = 6_000_000n;
const READ = 300_000n;
const MIN = 60_000;
const HOUR = 60 * MIN;
const price = rowPricer(createPricer({ overrides: [{ model: 'test-model', input: '3', output: '15', cacheRead: '0.3', cacheWrite: '3.75', cacheWrite1h: '6' }] }), () => undefined);
const LONG = 'Stable policy text. '.repeat(400);
const cached = { type: 'text', text: LONG, cache_control: { type: 'ephemeral' } };

let seq = 0;
function row(body: Record<string, unknown>, o: Partial<LedgerRow> & { api?: Api } = {}): LedgerRow {
  const api = o.api ?? 'anthropic.messages';
  const prefix = hashPrefix(api, body);
  return {
    id: `r${String(++seq).padStart(4, '0')}`,
    ts: 0,
    api,
    provider: 'anthropic',
    model: 'test-model',
    modelRequested: 'test-model',
    keyId: 'k1',
    user: null,
    team: null,
    project: null,
    sessionId: null,
    client: null,
    tags: { workflow: 'w' },
    stream: false,
    status: 200,
    outcome: 'ok',
    errorType: null,
    inputTokens: 2000,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: 10,
    reasoningTokens: 0,
    toolCalls: 0,
    latencyMs: 1,
    ttftMs: null,
    costPicos: 0n,
    usageSource: 'final',
    unpriced: false,
    pool: null,
    attempts: 1,
    upstreamRequestId: null,
    source: 'gateway',
    routeRule: null,
    routeMode: null,
    routeSavingPicos: null,
    lastTurnHash: null,
    ...(prefix ? { prefix: encodePrefix(prefix) } : {}),
    ...o,
  };
}

function analyse(rows: LedgerRow[], by: 'workflow' | 'session' = 'workflow'): CacheReport {
  const a = new CacheAnalyser({ by, since: 0, until: HOUR * 4, price });
  for (const r of [...rows].sort((x, y) => x.ts - y.ts)) a.add(r);
  return a.finish();
}
/** The window is four hours: a week is 42 of them. */
const weekly = (p: bigint) => p * 42n;
const msg = (text: string) => [{ role: 'user', content: text }];

describe('CacheAnalyser', () => {
  it('prefix drift from a timestamp at the top: every call differs at system block 0', () => {
    const rows = Array.from({ length: 5 }, (_, i) =>
      row({ system: [{ type: 'text', text: `Now: 10:0${i}` }, cached], messages: msg(`task ${i}`) }, { ts: i * MIN, cacheWriteTokens: 1900 }),
    );
    const r = analyse(rows);
    const f = r.findings.find((x) => x.kind === 'prefix_drift')!;
    expect(f).toMatchObject({ cause: 'volatile_block', group: 'w', evidence: { firstDifferingBlock: 0, blockLabel: 'system block 0 (block 0)', count: 4, outOf: 4 } });
    expect(f.evidence.requestIds).toEqual(rows.slice(1, 4).map((x) => x.id));
    expect(f.windowPicos).toBe(4n * 1900n * (W5 - READ));
    expect(f.weeklyPicos).toBe(weekly(4n * 1900n * (W5 - READ)));
    // None of the writes was read back either.
    const waste = r.findings.find((x) => x.kind === 'wasted_writes')!;
    expect(waste.windowPicos).toBe(5n * 1900n * (W5 - IN));
    expect(r.findings[0]).toBe(f);
  });

  it('one-off prompts are not drift: no static block recurs, so no cache could have served them', () => {
    const oneOff = (i: number) => ({ type: 'text', text: `Document ${i}: ${'unique words '.repeat(300)}${i}`, cache_control: { type: 'ephemeral' } });
    // The whole cached prompt is new on every call, and so is the block after a stable one.
    const alone = Array.from({ length: 5 }, (_, i) => row({ system: [oneOff(i)], messages: msg(`task ${i}`) }, { ts: i * MIN, cacheWriteTokens: 1900 }));
    const after = Array.from({ length: 5 }, (_, i) =>
      row({ system: [{ type: 'text', text: 'You summarise documents.' }, oneOff(i)], messages: msg(`task ${i}`) }, { ts: i * MIN, cacheWriteTokens: 1900, tags: { workflow: 'v' } }),
    );
    const r = analyse([...alone, ...after]);
    expect(r.findings.filter((x) => x.kind === 'prefix_drift')).toEqual([]);
    // What they do waste is the writes nobody reads: that finding stays, with its fix.
    expect(r.findings.filter((x) => x.kind === 'wasted_writes').map((x) => [x.group, x.evidence.count])).toEqual([
      ['v', 5],
      ['w', 5],
    ]);
  });

  it('a one-off prompt among timestamped calls: only the pairs whose stable blocks came back count as drift', () => {
    const oneOffAt = 3;
    const rows = Array.from({ length: 6 }, (_, i) =>
      i === oneOffAt
        ? row({ system: [{ type: 'text', text: `One-off: ${'other words '.repeat(300)}`, cache_control: { type: 'ephemeral' } }], messages: msg(`task ${i}`) }, { ts: i * MIN, cacheWriteTokens: 1900 })
        : row({ system: [{ type: 'text', text: `Now: 10:0${i}` }, cached], messages: msg(`task ${i}`) }, { ts: i * MIN, cacheWriteTokens: 1900 }),
    );
    const f = analyse(rows).findings.find((x) => x.kind === 'prefix_drift')!;
    // Of 5 pairs, the one-off and the call after it share no block: 3 drifted, 3 writes that could have been reads.
    expect(f).toMatchObject({ cause: 'volatile_block', evidence: { count: 3, outOf: 5 } });
    expect(f.evidence.requestIds).toEqual([rows[1]!.id, rows[2]!.id, rows[5]!.id]);
    expect(f.windowPicos).toBe(3n * 1900n * (W5 - READ));
  });

  it('names the model that made most of the wasted writes, and how many models made them', () => {
    const rows = Array.from({ length: 3 }, (_, i) => row({ system: [cached], messages: msg(`one-off ${i}`) }, { ts: i * MIN, cacheWriteTokens: 1900, ...(i === 2 ? { model: 'other-model' } : {}) }));
    const waste = analyse(rows).findings.find((x) => x.kind === 'wasted_writes')!;
    expect(waste).toMatchObject({ model: 'test-model', models: 2 });
    expect(renderCacheTable(analyse(rows))).toContain('workflow w (mostly test-model, of 2 models): 3 of 3 cache writes');
    const one = analyse(rows.slice(0, 2)).findings.find((x) => x.kind === 'wasted_writes')!;
    expect(one.models).toBeUndefined();
    expect(renderCacheTable(analyse(rows.slice(0, 2)))).toContain('workflow w (test-model): 2 of 2 cache writes');
  });

  it('scales to a week from when the ledger began, when that is inside the window', () => {
    const rows = Array.from({ length: 3 }, (_, i) => row({ system: [cached], messages: msg(`one-off ${i}`) }, { ts: 3 * HOUR + i * MIN, cacheWriteTokens: 1900 }));
    const run = (measuredSince?: number) => {
      const a = new CacheAnalyser({ by: 'workflow', since: 0, until: HOUR * 4, measuredSince, price });
      for (const r of rows) a.add(r);
      return a.finish();
    };
    const whole = run();
    const lastHour = run(3 * HOUR);
    const waste = (r: CacheReport) => r.findings.find((x) => x.kind === 'wasted_writes')!;
    expect(waste(lastHour).windowPicos).toBe(waste(whole).windowPicos);
    // Measured over one hour of the four: a week is 168 of them, not 42.
    expect(lastHour.windowMs).toBe(HOUR);
    expect(waste(lastHour).weeklyPicos).toBe(waste(whole).windowPicos * 168n);
    expect(waste(whole).weeklyPicos).toBe(weekly(waste(whole).windowPicos));
    // A ledger older than the window changes nothing.
    expect(run(-HOUR).windowMs).toBe(4 * HOUR);
    expect(renderCacheTable(lastHour)).toMatch(/^The ledger's first row is from 1970-01-01 03:00 UTC: weekly figures are scaled from the 60 minutes since\./);
    expect(renderCacheTable(whole)).not.toContain("The ledger's first row");
  });

  it('scales to a week from the part of the window gone by, not from an end still ahead', () => {
    const rows = Array.from({ length: 3 }, (_, i) => row({ system: [cached], messages: msg(`one-off ${i}`) }, { ts: 3 * HOUR + i * MIN, cacheWriteTokens: 1900 }));
    const run = (until: number) => {
      const a = new CacheAnalyser({ by: 'workflow', since: 0, until, now: HOUR * 4, price });
      for (const r of rows) a.add(r);
      return a.finish();
    };
    const past = run(HOUR * 4);
    // The same rows asked about up to a month ahead: four hours have passed, not 4 + 720.
    const ahead = run(HOUR * (4 + 720));
    const waste = (r: CacheReport) => r.findings.find((x) => x.kind === 'wasted_writes')!;
    expect(ahead.windowMs).toBe(4 * HOUR);
    expect(waste(ahead).windowPicos).toBe(waste(past).windowPicos);
    expect(waste(ahead).weeklyPicos).toBe(waste(past).weeklyPicos);
    expect(waste(ahead).weeklyPicos).toBe(waste(past).windowPicos * 42n);
    expect(renderCacheTable(ahead)).toMatch(/^The window runs to 1970-01-31 04:00 UTC, ahead of now: weekly figures are scaled from the 4.0 hours so far\./);
    expect(renderCacheTable(past)).not.toContain('ahead of now');
  });

  it('leaves out writes whose TTL runs past the window: they may yet be read', () => {
    const rows = [0, 1000].map((ts, i) => row({ system: [cached], messages: msg(`one-off ${i}`) }, { ts: 3 * HOUR + ts, cacheWriteTokens: 1900 }));
    const until = (end: number) => {
      const a = new CacheAnalyser({ by: 'workflow', since: 0, until: end, price });
      for (const r of rows) a.add(r);
      return a.finish().findings.find((x) => x.kind === 'wasted_writes');
    };
    // Two seconds after the second write, both 5-minute TTLs are still running.
    expect(until(3 * HOUR + 2000)).toBeUndefined();
    // The first lapsed, the second not yet: it is not counted among the writes either.
    expect(until(3 * HOUR + 5 * MIN + 500)).toMatchObject({ title: '1 of 1 cache writes were never read back within their TTL', evidence: { count: 1, outOf: 1 } });
    expect(until(4 * HOUR)?.evidence).toMatchObject({ count: 2, outOf: 2 });
  });

  it('scales a ledger minutes old over an hour at least, and says so', () => {
    const end = 4 * HOUR;
    const rows = [row({ system: [cached], messages: msg('one-off') }, { ts: end - 20 * MIN, cacheWriteTokens: 1900 })];
    const run = (since: number, measuredSince: number) => {
      const a = new CacheAnalyser({ by: 'workflow', since, until: end, measuredSince, price });
      for (const r of rows) a.add(r);
      return a.finish();
    };
    const young = run(0, end - 20 * MIN);
    expect(young.windowMs).toBe(HOUR);
    expect(young.findings[0]!.weeklyPicos).toBe(young.findings[0]!.windowPicos * 168n);
    expect(renderCacheTable(young)).toMatch(/^The ledger's first row is from 1970-01-01 03:40 UTC: weekly figures are scaled from 60 minutes, though the ledger holds less/);
    // A window shorter than an hour is scaled from itself, as asked.
    expect(run(end - 30 * MIN, end - 20 * MIN).windowMs).toBe(30 * MIN);
  });

  it('names the model that made the wasted writes, not the group busiest one', () => {
    const rows = [
      ...Array.from({ length: 5 }, (_, i) => row({ messages: msg(`plain ${i}`) }, { ts: i * MIN, model: 'busy-model' })),
      row({ system: [cached], messages: msg('one-off') }, { ts: 10 * MIN, cacheWriteTokens: 1900 }),
    ];
    const waste = analyse(rows).findings.find((x) => x.kind === 'wasted_writes')!;
    expect(waste.model).toBe('test-model');
    expect(waste.models).toBeUndefined();
  });

  it('reordered tool definitions: same blocks, another order', () => {
    const a = { name: 'a', input_schema: { type: 'object' } };
    const b = { name: 'b', input_schema: { type: 'object' } };
    const rows = Array.from({ length: 4 }, (_, i) =>
      row({ tools: i % 2 ? [b, a] : [a, b], system: [cached], messages: msg('x') }, { ts: i * MIN, cacheWriteTokens: 1800 }),
    );
    const f = analyse(rows).findings.find((x) => x.kind === 'prefix_drift')!;
    expect(f).toMatchObject({ cause: 'reordered', evidence: { firstDifferingBlock: 0, blockLabel: 'tool 0 (block 0)', count: 3 } });
    expect(f.windowPicos).toBe(3n * 1800n * (W5 - READ));
  });

  it('a per-session line (Claude Code billing header): differs between sessions, stable within one', () => {
    const rows: LedgerRow[] = [];
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < 3; i++) {
        const body = { system: [{ type: 'text', text: `x-anthropic-billing-header: cc_version=2.1.330.${s}; cch=${s};` }, cached], messages: msg(`turn ${i}`) };
        rows.push(row(body, { ts: (s * 3 + i) * MIN, sessionId: `sess-${s}`, cacheWriteTokens: i === 0 ? 1900 : 0, cacheReadTokens: i === 0 ? 0 : 1900 }));
      }
    }
    const r = analyse(rows);
    const f = r.findings.find((x) => x.kind === 'prefix_drift')!;
    expect(f).toMatchObject({ cause: 'per_session', evidence: { firstDifferingBlock: 0, count: 2, outOf: 8 } });
    expect(f.windowPicos).toBe(2n * 1900n * (W5 - READ));
    expect(f.fix).toContain('CLAUDE_CODE_ATTRIBUTION_HEADER');
    // Each session's write was read by its next turn.
    expect(r.findings.some((x) => x.kind === 'wasted_writes')).toBe(false);
    expect(r.groups[0]!.cacheReadShare).toBeCloseTo((6 * 1900) / (9 * 2000), 6);
  });

  it('a run of lapsed writes pays one 1-hour write under a 1-hour TTL, the rest read, and names each request once', () => {
    const body = { system: [cached], messages: msg('same') };
    const rows = Array.from({ length: 8 }, (_, i) => row(body, { ts: i * 7 * MIN, cacheWriteTokens: 1900 }));
    const ttl = analyse(rows).findings.find((x) => x.kind === 'ttl_1h')!;
    // Eight 5-minute writes against one 1-hour write and seven reads.
    expect(ttl.windowPicos).toBe(8n * 1900n * W5 - 1900n * (W1H + 7n * READ));
    expect(ttl.evidence.requestIds).toEqual([rows[0]!.id, rows[1]!.id, rows[2]!.id]);
  });

  it('shows the cost column on one scale when every group spent under a dollar', () => {
    const body = { system: [cached], messages: msg('x') };
    const rows = [row(body, { costPicos: 36_000_000_000n, tags: { workflow: 'a' } }), row(body, { costPicos: 7_400_000_000n, tags: { workflow: 'b' } })];
    const table = renderCacheTable(analyse(rows));
    expect(table).toMatch(/\$0\.0360 /);
    expect(table).toMatch(/\$0\.0074 /);
  });

  it('a 1-hour TTL pays when a prefix comes back after 5 minutes but within the hour', () => {
    const body = { system: [cached], messages: msg('same') };
    const rows = [row(body, { ts: 0, cacheWriteTokens: 1900 }), row(body, { ts: 20 * MIN, cacheWriteTokens: 1900 })];
    const r = analyse(rows);
    const ttl = r.findings.find((x) => x.kind === 'ttl_1h')!;
    // The second write becomes a read; the first pays the 1h premium.
    expect(ttl.windowPicos).toBe(1900n * (W5 - READ) - 1900n * (W1H - W5));
    expect(ttl.evidence.requestIds).toEqual([rows[0]!.id, rows[1]!.id]);
    expect(r.findings.find((x) => x.kind === 'wasted_writes')!.evidence).toMatchObject({ count: 2, outOf: 2 });
    // Twenty minutes apart, the stable prefix is not drift.
    expect(r.findings.some((x) => x.kind === 'prefix_drift')).toBe(false);
  });

  it('writes read back within their TTL are not wasted; a read after the TTL does not save them', () => {
    const body = { system: [cached], messages: msg('same') };
    const rows = [
      row(body, { ts: 0, cacheWriteTokens: 1900 }),
      row(body, { ts: 4 * MIN, cacheReadTokens: 1900 }),
      row({ ...body, messages: msg('other') }, { ts: 3 * HOUR, cacheWriteTokens: 1900, tags: { workflow: 'late' } }),
    ];
    const r = analyse(rows);
    expect(r.groups.find((g) => g.key === 'w')!.wastedWrites).toBe(0);
    expect(r.groups.find((g) => g.key === 'late')!.wastedWrites).toBe(1);
  });

  it('without hashes, writes are matched to later reads in the same session', () => {
    const rows = [
      row({}, { ts: 0, cacheWriteTokens: 1500, sessionId: 's', prefix: null }),
      row({}, { ts: MIN, cacheReadTokens: 1500, sessionId: 's', prefix: null }),
      row({}, { ts: 2 * MIN, cacheWriteTokens: 1500, sessionId: 't', prefix: null }),
    ];
    const r = analyse(rows, 'session');
    expect(r.groups.find((g) => g.key === 's')!.wastedWrites).toBe(0);
    expect(r.groups.find((g) => g.key === 't')!.wastedWrites).toBe(1);
    expect(r.groups.every((g) => g.hashed === 0)).toBe(true);
  });

  it('a repeated cacheable prefix with no breakpoint: add one (or cache: auto)', () => {
    const body = { system: LONG, messages: msg('q') };
    const rows = Array.from({ length: 4 }, (_, i) => row(body, { ts: i * MIN }));
    const prefix = hashPrefix('anthropic.messages', body)!;
    const t = BigInt(Math.round(prefix.b[0]![2] * (2000 / prefix.e)));
    const f = analyse(rows).findings.find((x) => x.kind === 'missing_breakpoint')!;
    expect(f.windowPicos).toBe(3n * t * (IN - READ) - t * (W5 - IN));
    expect(f.fix).toContain('mode: auto');
    expect(f.evidence.count).toBe(3);
  });

  it('names the client release a drift came with, against the release before it whose prefix held', () => {
    const stable = Array.from({ length: 20 }, (_, i) =>
      row({ system: [cached], messages: msg(`task ${i}`) }, { ts: i * MIN, tags: { workflow: 'w', client_version: '2.1.197' }, ...(i === 0 ? { cacheWriteTokens: 1900 } : { cacheReadTokens: 1900 }) }),
    );
    const drifting = Array.from({ length: 20 }, (_, i) =>
      row({ system: [{ type: 'text', text: `Now: 11:${String(i).padStart(2, '0')}` }, cached], messages: msg(`task ${i}`) }, { ts: (20 + i) * MIN, tags: { workflow: 'w', client_version: '2.1.198' }, cacheWriteTokens: 1900 }),
    );
    const r = analyse([...stable, ...drifting]);
    const f = r.findings.find((x) => x.kind === 'prefix_drift')!;
    // The pair across the upgrade is the new release's: its first call already drifted.
    expect(f.title).toBe('the prompt prefix changes at system block 0 (block 0) on 20 of 39 consecutive calls, on client version 2.1.198 (20 of 20 calls) and not on 2.1.197 (0 of 19)');
    expect(f.fix).toMatch(/^the drift came with client version 2\.1\.198: stay on 2\.1\.197 until its maker fixes it, or move what changes every call/);
    expect(f.evidence.clientVersions).toEqual([
      { version: '2.1.198', pairs: 20, drift: 20 },
      { version: '2.1.197', pairs: 19, drift: 0 },
    ]);
    expect(renderCacheTable(r)).toContain('by client version: 2.1.198 20 of 20 drifted; 2.1.197 0 of 19 drifted');
    const json = cacheReportJson(r) as { findings: { kind: string; evidence: object }[] };
    expect(json.findings.find((x) => x.kind === 'prefix_drift')!.evidence).toMatchObject({ client_versions: f.evidence.clientVersions });
    // One release alone says nothing of releases.
    const one = analyse(drifting).findings.find((x) => x.kind === 'prefix_drift')!;
    expect(one.title).not.toContain('client version');
    expect(one.evidence.clientVersions).toBeUndefined();
  });

  it('a clean baseline raises nothing', () => {
    const body = { system: [cached], messages: msg('same') };
    const rows = Array.from({ length: 10 }, (_, i) => row(body, { ts: i * MIN, cacheWriteTokens: i === 0 ? 1900 : 0, cacheReadTokens: i === 0 ? 0 : 1900 }));
    const r = analyse(rows);
    expect(r.findings).toEqual([]);
    expect(r.groups[0]!.repeatedPrefixShare).toBeCloseTo(0.9, 6);
  });

  it('automatic prefix caching (OpenAI): drift costs the reads it prevented', () => {
    const rows = Array.from({ length: 3 }, (_, i) =>
      row({ messages: [{ role: 'system', content: `Request ${i} at ${i}` }, { role: 'system', content: LONG }, { role: 'user', content: 'q' }] }, { ts: i * MIN, api: 'openai.chat', provider: 'openai' }),
    );
    const f = analyse(rows).findings.find((x) => x.kind === 'prefix_drift')!;
    expect(f.cause).toBe('volatile_block');
    expect(f.windowPicos).toBeGreaterThan(0n);
  });

  it('compares requests the gateway cached automatically with the rest', () => {
    const body = { system: LONG, messages: msg('q') };
    const rows = [
      row(body, { ts: 0, costPicos: 600n }),
      row(body, { ts: MIN, costPicos: 600n, tags: { workflow: 'w', cache: 'auto' }, cacheWriteTokens: 1900 }),
      row(body, { ts: 2 * MIN, costPicos: 200n, tags: { workflow: 'w', cache: 'auto' }, cacheReadTokens: 1900 }),
    ];
    expect(analyse(rows).autoCache).toEqual([
      { group: 'w', without: { requests: 1, cacheReadShare: 0, costPerRequestPicos: 600n }, withAuto: { requests: 2, cacheReadShare: 1900 / 4000, costPerRequestPicos: 400n } },
    ]);
  });

  it('ignores failed requests', () => {
    const r = analyse([row({ system: [cached], messages: msg('x') }, { status: 500, outcome: 'upstream_error', cacheWriteTokens: 100 })]);
    expect(r.groups).toEqual([]);
  });
});
