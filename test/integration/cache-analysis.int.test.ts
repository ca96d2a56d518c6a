import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodePrefix } from '../../src/cache-analysis/prefix.js';
import { formatUsd } from '../../src/core/money.js';
import type { LedgerRow } from '../../src/core/ledger-row.js';
import { createPricer } from '../../src/pricing/index.js';
import { type Harness, defaultProviders, startHarness } from '../support/harness.js';
import { routingFrom } from '../support/routing.js';

/**
 * Anthropic's published prices for Claude Opus 4.1, in picodollars per token ($15 per million
 * input; 5-minute writes 1.25× = $18.75, reads 0.1× = $1.50), written out here so the
 * expected saving does not come from the code under test.
 */
const WRITE_5M = 18_750_000n;
const READ = 1_500_000n;
const HOUR = 3_600_000;

const POLICY = 'You review pull requests for the platform team. '.repeat(160);

interface CacheReportJson {
  findings: { kind: string; cause: string | null; workflow: string; saving_usd_per_week: string; saving_usd_in_window: string; evidence: { request_ids: string[]; first_differing_block: number | null; block: string | null; count: number } }[];
  groups: { workflow: string; cache_read_share: number; repeated_prefix_share: number }[];
  cache_auto: { workflow: string; without: { cache_read_share: number; requests: number }; with_auto: { cache_read_share: number; requests: number } }[];
}

async function cacheReport(h: Harness, since: number): Promise<CacheReportJson> {
  const q = new URLSearchParams({ since: new Date(since).toISOString(), until: new Date(since + HOUR).toISOString(), by: 'workflow' });
  const res = await fetch(`${h.url}/admin/v1/cache-report?${q.toString()}`, { headers: { authorization: 'Bearer admin-secret' } });
  expect(res.status).toBe(200);
  return (await res.json()) as CacheReportJson;
}

describe('prompt-cache analysis through the gateway', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      price: createPricer(),
      cache: { hashPrompts: true, storePrompts: false, rules: [{ model: 'claude-sonnet-4-5', provider: undefined, mode: 'auto', ttl: undefined }] },
    });
  });
  afterAll(() => h.close());
  beforeEach(async () => {
    h.fake.reset();
    h.fake.setDefault({ promptCache: {}, text: 'LGTM' });
    await h.mark();
  });

  it('catches a timestamp planted in the first system block, with the dollar estimate', async () => {
    const client = (workflow: string) => new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0, defaultHeaders: { 'x-tollgate-tags': `workflow=${workflow}` } });
    for (let i = 0; i < 6; i++) {
      const cached = { type: 'text' as const, text: POLICY, cache_control: { type: 'ephemeral' as const } };
      // The drifting workflow starts its system prompt with the time of the call.
      await client('nightly-review').messages.create({
        model: 'claude-opus-4-1',
        max_tokens: 256,
        system: [{ type: 'text', text: `Current time: 2026-12-02T10:0${i}:00.${i}Z` }, cached],
        messages: [{ role: 'user', content: `Review PR #${i}` }],
      });
      await client('triage').messages.create({
        model: 'claude-opus-4-1',
        max_tokens: 256,
        system: [{ type: 'text', text: 'You triage issues.' }, cached],
        messages: [{ role: 'user', content: `Triage issue #${i}` }],
      });
    }
    const rows = await h.rows();
    const drifting = rows.filter((r) => r.tags.workflow === 'nightly-review').sort((a, b) => a.ts - b.ts);
    const stable = rows.filter((r) => r.tags.workflow === 'triage');
    // The fake upstream cached honestly: the drifting prompt never hits, the stable one does.
    expect(drifting.every((r) => r.cacheWriteTokens > 1000 && r.cacheReadTokens === 0)).toBe(true);
    expect(stable.filter((r) => r.cacheReadTokens > 0)).toHaveLength(5);
    expect(drifting.every((r) => decodePrefix(r.prefix)?.b[0]?.[0] === 's')).toBe(true);

    // The hour from the first call: the ledger measured all of it, so a week is 168 of them.
    const since = Math.min(...rows.map((r) => r.ts));
    const report = await cacheReport(h, since);
    const drift = report.findings.find((f) => f.kind === 'prefix_drift');
    expect(drift).toMatchObject({ cause: 'volatile_block', workflow: 'nightly-review', evidence: { first_differing_block: 0, block: 'system block 0 (block 0)', count: 5 } });
    expect(drift!.evidence.request_ids.every((id) => drifting.some((r) => r.id === id))).toBe(true);
    // Fixed, every call after the first would have read what it wrote: (write − read) per token.
    const window = drifting.slice(1).reduce((n, r) => n + BigInt(r.cacheWriteTokens) * (WRITE_5M - READ), 0n);
    expect(drift!.saving_usd_in_window).toBe(formatUsd(window));
    expect(drift!.saving_usd_per_week).toBe(formatUsd(window * 168n));
    expect(report.findings.some((f) => f.kind === 'prefix_drift' && f.workflow === 'triage')).toBe(false);
    // Findings come ranked by dollars.
    const weekly = report.findings.map((f) => Number(f.saving_usd_per_week));
    expect(weekly).toEqual([...weekly].sort((a, b) => b - a));
    const triage = report.groups.find((g) => g.workflow === 'triage')!;
    expect(triage.cache_read_share).toBeGreaterThan(0.6);
    expect(triage.repeated_prefix_share).toBeGreaterThan(0.6);
  });

  it('cache: auto adds a breakpoint by splicing the body, and the upstream then reports cache reads', async () => {
    const since = Date.now() - 1000;
    const send = async (model: string, i: number) => {
      const body = `{"model":"${model}","max_tokens":64,"tools":[{"name":"lookup","description":"Find a ticket","input_schema":{"type":"object"}}],"system":${JSON.stringify(POLICY)},"messages":[{"role":"user","content":"Question ${i}"}]}`;
      const res = await fetch(`${h.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': h.key.key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-tollgate-tags': 'workflow=support' },
        body,
      });
      expect(res.status).toBe(200);
      return { body, id: res.headers.get('x-tollgate-request-id')! };
    };
    // A model without the rule first: no breakpoint, no cache.
    for (let i = 0; i < 2; i++) await send('claude-haiku-4-5', i);
    const sent: { body: string; id: string }[] = [];
    for (let i = 0; i < 4; i++) sent.push(await send('claude-sonnet-4-5', i));

    const up = h.fake.requests.filter((r) => (r.json as { model: string }).model === 'claude-sonnet-4-5');
    const marker = `[{"type":"text","text":${JSON.stringify(POLICY)},"cache_control":{"type":"ephemeral"}}]`;
    up.forEach((r, i) => expect(r.body.toString()).toBe(sent[i]!.body.replace(`"system":${JSON.stringify(POLICY)}`, `"system":${marker}`)));
    const plain = h.fake.requests.filter((r) => (r.json as { model: string }).model === 'claude-haiku-4-5');
    expect(plain.every((r) => !r.body.toString().includes('cache_control'))).toBe(true);

    const rows = new Map((await h.rows()).map((r) => [r.id, r]));
    const auto = sent.map((s) => rows.get(s.id)!);
    expect(auto.map((r) => r.tags.cache)).toEqual(['auto', 'auto', 'auto', 'auto']);
    expect(auto[0]!.cacheWriteTokens).toBeGreaterThan(1024);
    expect(auto.slice(1).every((r: LedgerRow) => r.cacheReadTokens === auto[0]!.cacheWriteTokens)).toBe(true);
    expect(decodePrefix(auto[0]!.prefix)?.bp).toEqual([[1, 'auto']]);

    const report = await cacheReport(h, since);
    const cmp = report.cache_auto.find((c) => c.workflow === 'support')!;
    expect(cmp.without).toMatchObject({ requests: 2, cache_read_share: 0 });
    expect(cmp.with_auto.requests).toBe(4);
    expect(cmp.with_auto.cache_read_share).toBeGreaterThan(0.5);
  });

  it('cache: auto marks the prior history of a growing conversation, so each turn reads the last one', async () => {
    const turns: { id: string; sent: string }[] = [];
    const messages: { role: string; content: string }[] = [{ role: 'user', content: `Summarise this log.\n${'line of log output\n'.repeat(400)}` }];
    for (let turn = 1; turn <= 4; turn++) {
      const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, system: 'You read logs.', messages });
      const res = await fetch(`${h.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': h.key.key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-tollgate-tags': 'workflow=agent' },
        body,
      });
      expect(res.status).toBe(200);
      turns.push({ id: res.headers.get('x-tollgate-request-id')!, sent: body });
      messages.push({ role: 'assistant', content: `Answer ${turn}: ${'detail '.repeat(60)}` }, { role: 'user', content: `Follow-up ${turn}` });
    }
    const up = h.fake.requests.map((r) => JSON.parse(r.body.toString()) as { messages: { content: unknown }[] });
    // The first turn has no prior history; later ones are marked on the message before the newest.
    expect(up[0]!.messages.some((m) => Array.isArray(m.content))).toBe(false);
    expect(up).toHaveLength(4);
    for (const u of up.slice(1)) {
      const k = u.messages.length - 2;
      expect(u.messages[k]!.content).toEqual([{ type: 'text', text: expect.stringMatching(/^Answer /), cache_control: { type: 'ephemeral' } }]);
      expect(u.messages.filter((m) => Array.isArray(m.content))).toHaveLength(1);
    }
    const rows = await Promise.all(turns.map((t) => h.row(t.id)));
    expect(rows.map((r) => r.tags.cache ?? null)).toEqual([null, 'auto', 'auto', 'auto']);
    expect(rows[1]!.cacheWriteTokens).toBeGreaterThan(1024);
    // Each turn reads the prefix the turn before wrote, and writes only what was added since.
    for (let t = 2; t < 4; t++) expect(rows[t]!.cacheReadTokens).toBe(rows[t - 1]!.cacheReadTokens + rows[t - 1]!.cacheWriteTokens);
    expect(rows[3]!.cacheWriteTokens).toBeLessThan(rows[1]!.cacheWriteTokens);
  });

  it('the admin route names a bad grouping or format', async () => {
    const get = (q: string) => fetch(`${h.url}/admin/v1/cache-report?${q}`, { headers: { authorization: 'Bearer admin-secret' } });
    const bad = await get('by=team');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'invalid_request', message: 'by must be one of workflow, key, model, session, not "team"' } });
    expect((await get('format=csv')).status).toBe(400);
    const future = await get('since=2999-01-01');
    expect(future.status).toBe(400);
    expect(((await future.json()) as { error: { message: string } }).error.message).toMatch(/^the window starts at 2999-01-01T00:00:00.000Z, not before its end \(now\)/);
    const table = await get('format=table&since=1h');
    expect(table.headers.get('content-type')).toContain('text/plain');
    // The window ends now, as the CLI's does: a ledger younger than it is said first.
    expect(await table.text()).toMatch(/^(The ledger's first row is from [^\n]+\n\n)?(Findings|No prompt-cache findings)/);
  });
});

describe('cache: auto on a routed request', () => {
  it('keeps the added breakpoints when the body is rebuilt for a deployment’s own model name or a fallback', async () => {
    const h = await startHarness({
      cache: { hashPrompts: true, storePrompts: false, rules: [{ model: 'claude-sonnet-4-5', provider: undefined, mode: 'auto', ttl: undefined }] },
      routing: (url) =>
        routingFrom(
          {
            routes: [
              { model: 'claude-sonnet-4-5', deployments: [{ provider: 'anthropic', name: 'dated', model: 'claude-sonnet-4-5-20250929' }], fallbacks: ['claude-haiku-4-5'], retry: { per_deployment: 1 } },
              { model: 'claude-haiku-4-5', deployments: [{ provider: 'anthropic', name: 'haiku' }] },
            ],
          },
          defaultProviders(url),
        ),
    });
    try {
      const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
      h.fake.script({ status: 500 });
      await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 64, system: POLICY, messages: [{ role: 'user', content: 'Review PR #1' }] });
      // Checked without the fix: both bodies were rebuilt from the request as the client sent it, without the breakpoint.
      const sent = h.fake.requests.map((r) => r.json as { model: string; system: unknown });
      expect(sent.map((b) => b.model)).toEqual(['claude-sonnet-4-5-20250929', 'claude-haiku-4-5']);
      for (const b of sent) expect(b.system).toEqual([{ type: 'text', text: POLICY, cache_control: { type: 'ephemeral' } }]);
      const [row] = await h.rows();
      expect(row!.tags.cache).toBe('auto');
    } finally {
      await h.close();
    }
  });
});
