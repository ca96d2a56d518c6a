import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { modelPolicyInput, parseRule, toModelPolicy } from '../../src/policy/rule-input.js';
import { type Harness, startHarness } from '../support/harness.js';

// Claude Code 2.1.197 reads any 403 as a failed login ("Please run /login", with -p "Failed to
// authenticate"): a model policy's refusal reaches it as a 400 (src/gateway/client-errors.ts).

const BIN = join(process.cwd(), 'node_modules', '.bin');

function claude(h: Harness): Promise<{ code: number | null; out: string }> {
  const home = join(h.dir, `claude-${Math.random().toString(36).slice(2)}`);
  mkdirSync(home, { recursive: true });
  const env = { PATH: process.env.PATH, HOME: home, ANTHROPIC_BASE_URL: h.url, ANTHROPIC_API_KEY: h.key.key, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1' };
  return new Promise((resolve, reject) => {
    const child = spawn(join(BIN, 'claude'), ['-p', 'say hi', '--output-format', 'json'], { env, cwd: h.dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
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
});
