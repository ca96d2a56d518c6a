import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import { DEFAULT_POLICY_SETTINGS } from '../policy/settings.js';
import { configJsonSchema, loadConfig } from './index.js';
import { configFile as file, configIssues as issues } from './testing.js';

const EXAMPLE = `policy:
  time_zone: Europe/Berlin          # calendar windows; default UTC
  show_amounts: true
  input_counting: conservative
  default_max_output_tokens: 8192
  responses_context_tokens: 64000
  server_tool_uses: 3
  server_tool_result_tokens: 8000
  server_tool_fee_usd: 0.05
  gemini_cache_tokens: 32768
  lease_minutes: 30
budgets:
  - { scope: user:alice, window: day, limit_usd: 40, pool: platform-pool, thresholds: [50, 80, 100], fail: open, downgrade: { at_percent: 90, to: claude-haiku-4-5 }, enforce_max_tokens: false }
  - { scope: team:platform, window: month, limit_usd: "400.25" }
pools:
  - { id: platform-pool, scope: team:platform, window: month, limit_usd: 5000 }
rate_limits:
  - { scope: user:alice, rpm: 60, tpm: 200000, concurrency: 4 }
model_policies:
  - { scope: team:web, deny: ["*opus*"], rewrite: [{ from: "claude-opus-*", to: claude-sonnet-4-5 }], allow_keep: false }
alerts:
  webhooks: [{ url: "https://hooks.slack.com/services/T0/B0/x", events: ["budget.*", "increase.*"], headers: { X-Token: abc } }]
  public_url: https://tollgate.internal:8790/
  signing_secret: \${TOLLGATE_SIGNING_SECRET}
  retry_hours: 72
  timeout_seconds: 30
`;

describe('policy, rules and alerts in the config', () => {
  it('loads the documented example into settings, config rules and alerts', () => {
    const c = loadConfig({ file: file(EXAMPLE), env: { TOLLGATE_SIGNING_SECRET: 's3cret-s3cret-s3cret' } });
    // alerts.public_url is also where refusals tell developers to send their increase requests.
    expect(c.policy).toEqual({ ...DEFAULT_POLICY_SETTINGS, timeZone: 'Europe/Berlin', responsesContextTokens: 64_000, serverToolUses: 3, serverToolResultTokens: 8000, serverToolFeePicos: usd('0.05'), geminiCacheTokens: 32_768, leaseMs: 30 * 60_000, publicUrl: 'https://tollgate.internal:8790' });
    expect(issues('policy:\n  responses_context_tokens: -1\n')).toEqual(['policy.responses_context_tokens@2: must be at least 0']);
    expect(issues('policy:\n  server_tool_uses: 1.5\n  gemini_cache_tokens: 200000000\n')).toEqual(['policy.server_tool_uses@2: must be a whole number', 'policy.gemini_cache_tokens@3: must be at most 100000000']);
    expect(issues('policy:\n  server_tool_fee_usd: -0.01\n')).toEqual(['policy.server_tool_fee_usd@2: must be a USD amount such as 40 or 12.50 (must not be negative)']);
    expect(issues('policy:\n  server_tool_fee_usd: 1001\n')).toEqual(['policy.server_tool_fee_usd@2: must be at most 1000 (USD for one use of a tool)']);
    expect(issues('policy:\n  server_tool_fee_usd: cheap\n')).toEqual(['policy.server_tool_fee_usd@2: must be a USD amount such as 40 or 12.50 (not a decimal number: cheap)']);
    expect(loadConfig({ file: file('policy:\n  server_tool_fee_usd: "0"\n') }).policy.serverToolFeePicos).toBe(0n);
    expect(c.rules.budgets.map((b) => [b.id, b.kind, b.limitPicos, b.pool, b.source])).toEqual([
      ['budget:user:alice:day', 'budget', usd(40), 'platform-pool', 'config'],
      ['budget:team:platform:month', 'budget', usd('400.25'), null, 'config'],
      ['platform-pool', 'pool', usd(5000), null, 'config'],
    ]);
    expect(c.rules.budgets[0]).toMatchObject({ thresholds: [50, 80, 100], fail: 'open', downgrade: { atPercent: 90, to: 'claude-haiku-4-5' }, enforceMaxTokens: false, window: { kind: 'calendar', unit: 'day' } });
    expect(c.rules.rateLimits).toEqual([expect.objectContaining({ id: 'limit:user:alice', rpm: 60, tpm: 200000, concurrency: 4, fail: 'open', source: 'config' })]);
    expect(c.rules.modelPolicies).toEqual([
      expect.objectContaining({ id: 'models:team:web', scope: { kind: 'team', value: 'web' }, allow: null, deny: ['*opus*'], rewrites: [{ from: 'claude-opus-*', to: 'claude-sonnet-4-5' }], allowKeep: false }),
    ]);
    expect(c.alerts).toEqual({
      webhooks: [{ url: 'https://hooks.slack.com/services/T0/B0/x', events: ['budget.*', 'increase.*'], headers: { 'x-token': 'abc' } }],
      publicUrl: 'https://tollgate.internal:8790',
      signingSecret: 's3cret-s3cret-s3cret',
      retryHours: 72,
      timeoutSeconds: 30,
    });
  });

  it('defaults to no rules, UTC, amounts shown, and no alerts', () => {
    const c = loadConfig({ env: {} });
    expect(c.policy).toEqual(DEFAULT_POLICY_SETTINGS);
    expect(c.rules).toEqual({ budgets: [], rateLimits: [], modelPolicies: [] });
    expect(c.alerts).toEqual({ webhooks: [], publicUrl: undefined, signingSecret: undefined, retryHours: 24, timeoutSeconds: 10 });
  });

  it('names each bad value by its path and line', () => {
    const text = [
      'policy:',
      '  time_zone: Mars/Olympus',
      '  input_counting: exact',
      'budgets:',
      '  - { scope: user:alice, window: day, limit_usd: 40 }',
      '  - scope: usr:bob',
      '    window: fortnight',
      '    limit_usd: -3',
      '    fial: open',
      '  - { scope: team:x, window: 5m, limit_usd: "1.5.2", fail: maybe }',
      '  - { scope: team:y, window: day }',
      'pools:',
      '  - { scope: org, limit_usd: 10 }',
      'rate_limits:',
      '  - { scope: user:alice }',
      '  - { scope: user:bob, rpm: 1.5 }',
      'model_policies:',
      '  - { scope: "model:gpt-*", deny: ["x"] }',
      'alerts:',
      '  webhooks: [{ url: "ftp://x" }]',
      '  signing_secret: short',
      '  retry_hours: 200',
      '  timeout_seconds: 0.5',
    ].join('\n');
    expect(issues(text)).toEqual([
      'policy.time_zone@2: must be an IANA time zone such as UTC or Europe/Berlin',
      'policy.input_counting@3: must be conservative or typical',
      'budgets[1].scope@6: scope "usr:bob": the kind must be one of org, key, user, team, project, tag, model, provider (write kind:value, e.g. user:alice)',
      'budgets[1].window@7: window "fortnight": use day, week, month, quarter, or a rolling span such as 5h, 90m or 7d',
      'budgets[1].limit_usd@8: must be a USD amount such as 40 or 12.50 (must not be negative)',
      'budgets[1].fial@9: unknown setting; did you mean "fail"?',
      'budgets[2].window@10: window "5m": a rolling window must be between 10m and 90d',
      'budgets[2].limit_usd@10: must be a USD amount such as 40 or 12.50 (not a decimal number: 1.5.2)',
      'budgets[2].fail@10: must be open or closed',
      'budgets[3].limit_usd@11: is required',
      'pools[0].window@13: is required',
      'rate_limits[0]@15: set at least one of rpm, tpm, concurrency',
      expect.stringMatching(/^rate_limits\[1\]\.rpm@16: /),
      'model_policies[0].scope@18: a model policy applies to org, key, user, team or project',
      'alerts.webhooks[0].url@20: must be a http or https URL',
      'alerts.signing_secret@21: must be at least 16 characters (a long random string)',
      'alerts.retry_hours@22: must be at most 168 (a week)',
      'alerts.timeout_seconds@23: must be at least 1',
    ]);
  });

  it('says what an amount may be when it is of the wrong type or not finite', () => {
    const text = [
      'budgets:',
      '  - { scope: user:a, window: day, limit_usd: true }',
      '  - { scope: user:b, window: day, limit_usd: [1] }',
      '  - { scope: user:c, window: day, limit_usd: .inf }',
      '  - { scope: user:d, window: day, limit_usd: 1e30 }',
      'pricing:',
      '  overrides: [{ model: m, input: true, output: .inf }]',
      'server: { port: .inf }',
    ].join('\n');
    const usd = (why: string) => `must be a USD amount such as 40 or 12.50 (${why}, at most 1000000000000)`;
    expect(issues(text)).toEqual([
      `budgets[0].limit_usd@2: ${usd('a number of US dollars')}`,
      `budgets[1].limit_usd@3: ${usd('a number of US dollars')}`,
      `budgets[2].limit_usd@4: ${usd('must be finite')}`,
      'budgets[3].limit_usd@5: must be a USD amount such as 40 or 12.50 (must be at most 1000000000000)',
      'pricing.overrides[0].input@7: must be a number ≥ 0',
      'pricing.overrides[0].output@7: must be a number ≥ 0',
      'server.port@8: must be finite',
    ]);
  });

  it('rejects duplicate ids, given or derived, and a budget named as a pool', () => {
    const text = [
      'budgets:',
      '  - { scope: user:alice, window: day, limit_usd: 40 }',
      '  - { scope: user:alice, window: day, limit_usd: 50 }',
      '  - { id: shared, scope: user:bob, window: day, limit_usd: 1, pool: budget:user:alice:day }',
      'pools:',
      '  - { id: shared, scope: team:x, window: month, limit_usd: 10 }',
      'rate_limits:',
      '  - { scope: user:alice, rpm: 1 }',
      '  - { scope: user:alice, tpm: 1 }',
      'alerts:',
      '  signing_secret: 0123456789abcdef0123',
    ].join('\n');
    expect(issues(text)).toEqual([
      'budgets[1]@3: has the same id "budget:user:alice:day" as budgets[0] (derived from the scope and window); merge them or give one an id',
      'budgets[2].pool@4: "budget:user:alice:day" is a budget, not a pool (declare it under pools:)',
      'pools[0].id@6: "shared" is already used by budgets[2]',
      'rate_limits[1]@9: has the same id "limit:user:alice" as rate_limits[0] (derived from the scope); merge them or give one an id',
      'alerts.signing_secret@11: set alerts.public_url too: it is the base of the signed approve/deny and evidence links',
    ]);
  });

  it('refuses a webhook event filter that matches no alert type, which would silently drop those alerts', () => {
    const text = [
      'alerts:',
      '  webhooks:',
      '    - url: https://hooks.example.com/a',
      '      events: ["budget.refusd", "anomaly.*", "counters.fail_open", "Increase.Approved", "spend.*"]',
    ].join('\n');
    expect(issues(text)).toEqual([
      'alerts.webhooks[0].events[0]@4: "budget.refusd" matches no alert type; did you mean "budget.refused"? Types: budget.threshold, budget.refused, increase.requested, increase.approved, increase.denied, increase.expired, counters.fail_open, counters.fail_closed, anomaly.spend_spike, anomaly.runaway_session, anomaly.agent_loop, anomaly.retry_storm, anomaly.cache_regression (or a glob such as budget.*)',
      'alerts.webhooks[0].events[4]@4: "spend.*" matches no alert type. Types: budget.threshold, budget.refused, increase.requested, increase.approved, increase.denied, increase.expired, counters.fail_open, counters.fail_closed, anomaly.spend_spike, anomaly.runaway_session, anomaly.agent_loop, anomaly.retry_storm, anomaly.cache_regression (or a glob such as budget.*)',
    ]);
  });

  it('accepts a pool that only the API will create', () => {
    const c = loadConfig({ file: file('budgets:\n  - { scope: user:alice, window: day, limit_usd: 1, pool: made-later }\n'), env: {} });
    expect(c.rules.budgets[0]?.pool).toBe('made-later');
  });

  it('includes the new sections in the JSON Schema for editors', () => {
    const schema = configJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['policy', 'budgets', 'pools', 'rate_limits', 'model_policies', 'alerts']));
  });
});
