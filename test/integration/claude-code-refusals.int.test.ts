import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { modelPolicyInput, parseRule, toModelPolicy } from '../../src/policy/rule-input.js';
import { AGENT_BIN, runAgent } from '../support/agent-run.js';
import { type Harness, startHarness } from '../support/harness.js';

// Claude Code 2.1.197 reads any 403 as a failed login ("Please run /login", with -p "Failed to
// authenticate") and any 404 as a model it may not use: a model policy's refusal, and the 404 that
// names the path a wrong base URL meant, reach it as a 400 (src/gateway/client-errors.ts).

async function claude(h: Harness, base = h.url): Promise<{ code: number | null; out: string }> {
  const home = join(h.dir, `claude-${Math.random().toString(36).slice(2)}`);
  mkdirSync(home, { recursive: true });
  const env = { PATH: process.env.PATH, HOME: home, ANTHROPIC_BASE_URL: base, ANTHROPIC_API_KEY: h.key.key, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1' };
  const r = await runAgent(join(AGENT_BIN, 'claude'), ['-p', 'say hi', '--output-format', 'json'], { env, cwd: h.dir, timeout: 60_000 });
  return { code: r.code, out: `${r.stdout}${r.stderr}` };
}

describe('Claude Code refused by a model policy', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('shows the policy message, not a failed login, and does not retry', async () => {
    const deny = toModelPolicy(parseRule(modelPolicyInput, { scope: 'user:alice', deny: ['claude-*'] }), 'config', 0);
    h = await startHarness({ policy: { rules: { budgets: [], rateLimits: [], modelPolicies: [deny] } } });
    const r = await claude(h);
    expect(r.code).not.toBe(0);
    const result = JSON.parse(r.out.slice(r.out.indexOf('{'))) as { is_error: boolean; result: string };
    expect(result.is_error).toBe(true);
    expect(result.result).toMatch(/API Error: 400 Model claude-[\w.-]+ is not allowed for user:alice/);
    expect(result.result).not.toMatch(/authenticate|\/login/);
    expect(h.fake.requests.filter((q) => q.path === '/v1/messages')).toHaveLength(0);
    const rows = (await h.rows()).filter((x) => x.api === 'anthropic.messages');
    expect(rows.map((x) => [x.client, x.outcome, x.errorType, x.status])).toEqual([['claude-code', 'rejected', 'model_not_allowed', 400]]);
  });

  it('with a base URL ending in /v1, shows which path is served rather than a model it may not use', async () => {
    h = await startHarness();
    const r = await claude(h, `${h.url}/v1`);
    const result = JSON.parse(r.out.slice(r.out.indexOf('{'))) as { is_error: boolean; result: string };
    expect(result.is_error).toBe(true);
    expect(result.result).toContain('API Error: 400 Tollgate does not serve POST /v1/v1/messages. It serves POST /v1/messages: check the client');
    expect(result.result).not.toMatch(/selected model/);
    expect(h.fake.requests.filter((q) => q.path.endsWith('/messages'))).toHaveLength(0);
  });
});
