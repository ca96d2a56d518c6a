import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';

// The admin API, sent anything (any method on any of its routes, query parameters and bodies of
// every shape, the right token, a wrong one or none): it answers, never with an internal error,
// and every refusal says what is wrong.

let h: Harness;

beforeAll(async () => {
  // Wrong tokens are sent on purpose, often: the throttle (admin-throttle.int.test.ts) would refuse the calls after them.
  h = await startHarness({ policy: {}, adminFailures: { limit: 10_000, windowMs: 60_000, blockMs: 1000 } });
});
afterAll(() => h.close());

const ROUTES = [
  '/keys', '/keys/key_x', '/keys/%zz/revoke', '/report', '/export', '/cache-report', '/explain', '/telemetry/cross-check',
  '/routing/status', '/ledger/import', '/budgets', '/budgets/b1', '/budgets/status', '/budgets/reconcile', '/policy/health',
  '/pools', '/pools/p1', '/rate-limits', '/rate-limits/r1', '/model-policies', '/model-policies/m1', '/increases',
  '/increases/inc_1/approve', '/increases/inc_1/deny', '/audit', '/forecast', '/outcomes', '/outcomes/report', '/me',
  '/me/increases', '/objects/assign', '/objects/vs_1', '/objects/files/abc', '/objects/%zz', '/nothing',
];
const PARAMS = ['since', 'until', 'from', 'to', 'by', 'format', 'limit', 'month', 'kind', 'fix', 'status', 'model', 'scope', 'window', 'include_revoked', 'group', 'top'];

const value = fc.oneof(
  fc.constantFrom('7d', '30d', '2026-11', '2026-13', '2026-11-01T00:00:00Z', 'yesterday', '-1', '0', '1e309', 'csv', 'json', 'parquet', 'team', 'user', 'model', 'tag:workflow', 'true', ''),
  fc.string({ maxLength: 40 }),
);
const query = fc.dictionary(fc.constantFrom(...PARAMS), value, { maxKeys: 4 }).map((q) => new URLSearchParams(q).toString());

/** Bodies shaped like the admin API's own, with members of the wrong type or out of range, and bodies of no shape at all. */
const member = fc.oneof(fc.jsonValue({ maxDepth: 2 }), value, fc.double(), fc.constantFrom(-1, 0, 1e21, Number.MAX_SAFE_INTEGER));
/** Calls the API accepts, so that its success paths run too (then followed by anything). */
const valid: [string, string, object][] = [
  ['POST', '/budgets', { scope: 'team:platform', window: 'month', limit_usd: '400' }],
  ['POST', '/budgets', { scope: 'user:alice', window: 'day', limit_usd: 10 }],
  ['POST', '/keys', { user: 'bob', team: 'web' }],
  ['POST', '/objects/assign', { ids: ['vs_1', 'files/abc'], team: 'web' }],
  ['POST', '/outcomes', { kind: 'pr_merged', user: 'alice', id: 'PR-1' }],
  ['POST', '/increases', { scope: 'user:alice', amount_usd: 5, hours: 2, reason: 'release week', requested_by: 'alice' }],
];

const body = fc.oneof(
  fc.constantFrom(...valid).map(([, , b]) => JSON.stringify(b)),
  fc.record({ scope: member, window: member, limit_usd: member, action: member, user: member, team: member, pool: member, members: member, rpm: member, tpm: member, allow: member, deny: member, default_model: member, kind: member, ts: member, session: member, amount_usd: member, reason: member, ids: member, key: member, provider: member, force: member }, { requiredKeys: [] }).map((b) => JSON.stringify(b)),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
  fc.array(fc.json({ maxDepth: 2 }), { maxLength: 5 }).map((lines) => lines.join('\n')),
  fc.constant(''),
);

const auth = fc.oneof({ weight: 5, arbitrary: fc.constant('admin') }, { weight: 1, arbitrary: fc.constantFrom('wrong', 'none', 'virtual') });
const call = fc.oneof(
  { weight: 1, arbitrary: fc.record({ call: fc.constantFrom(...valid), query, auth }).map(({ call: [method, route, b], ...rest }) => ({ method, route, body: JSON.stringify(b), ...rest })) },
  { weight: 4, arbitrary: fc.record({ method: fc.constantFrom('GET', 'POST', 'POST', 'DELETE', 'PUT', 'PATCH'), route: fc.constantFrom(...ROUTES), query, body, auth }) },
);

describe('the admin API, sent anything', () => {
  it('answers without an internal error, and says what is wrong when it refuses', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(call, async (c) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (c.auth === 'admin') headers.authorization = 'Bearer admin-secret';
        if (c.auth === 'wrong') headers.authorization = 'Bearer not-the-token';
        if (c.auth === 'virtual') headers.authorization = `Bearer ${h.key.key}`;
        const url = `${h.url}/admin/v1${c.route}${c.query ? `?${c.query}` : ''}`;
        const res = await request(url, { method: c.method as 'POST', headers, body: c.method === 'GET' ? undefined : c.body });
        const text = await res.body.text();
        seen.add(res.statusCode);
        expect(res.statusCode, `${c.method} ${url}: ${text}`).toBeLessThan(500);
        if (res.statusCode >= 400) {
          const err = (JSON.parse(text) as { error: { message?: string } }).error;
          expect(err.message?.length ?? 0, text).toBeGreaterThan(5);
        }
      }),
      { seed: 20261205, numRuns: 400 },
    );
    // Accepted calls and refusals were both exercised.
    expect([...seen].some((s) => s < 300)).toBe(true);
    expect([...seen].filter((s) => s >= 400).length).toBeGreaterThan(3);
  }, 120_000);
});
