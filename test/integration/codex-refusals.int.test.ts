import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PriceFn } from '../../src/metering/build-row.js';
import { budgetInput, parseRule, toBudget } from '../../src/policy/rule-input.js';
import { AGENT_BIN, runAgent } from '../support/agent-run.js';
import { type Harness, startHarness } from '../support/harness.js';

// Codex 0.169.0 retries a 402 five times (about 7 s), over HTTP and on its WebSocket, before it says
// why; a budget refusal reaches it as the usage limit it stops on (src/gateway/client-errors.ts).

/** $20 per million input tokens, $60 per million output. */
const price: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens) * 20_000_000n + BigInt(r.usage.outputTokens) * 60_000_000n, unpriced: false });

async function codex(h: Harness, config: string[]): Promise<{ code: number | null; out: string }> {
  const home = join(h.dir, `codex-${Math.random().toString(36).slice(2)}`);
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'config.toml'), ['model = "gpt-5"', ...config].join('\n'));
  const env = { PATH: process.env.PATH, HOME: h.dir, CODEX_HOME: home, CODEX_API_KEY: h.key.key, TOLLGATE_KEY: h.key.key };
  const r = await runAgent(join(AGENT_BIN, 'codex'), ['exec', '--skip-git-repo-check', 'say hi'], { env, cwd: h.dir, timeout: 60_000 });
  return { code: r.code, out: `${r.stdout}${r.stderr}` };
}

describe('Codex refused by a budget', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  // A limit no request fits: the first is refused.
  const tiny = () => toBudget(parseRule(budgetInput, { scope: 'user:alice', window: 'day', limit_usd: 0.000001 }), 'budget', 'config', 0);

  // On the socket Codex first warms the session up (a response.create with `generate: false`), then sends the turn: both refused.
  it.each([
    ['over HTTP (a provider of its own)', 1, ['model_provider = "tollgate"', '[model_providers.tollgate]', 'name = "Tollgate"', 'BASE', 'env_key = "TOLLGATE_KEY"', 'wire_api = "responses"']],
    ['on its WebSocket (the built-in provider)', 2, ['openai_base_url = "BASE"']],
  ])('%s: no retry, and the usage limit with its reset on screen', async (_name, refusals, config) => {
    h = await startHarness({ price, policy: { rules: { budgets: [tiny()], rateLimits: [], modelPolicies: [] } } });
    const base = `${h.url}/v1`;
    const r = await codex(h, config.map((l) => (l === 'BASE' ? `base_url = "${base}"` : l.replace('BASE', base))));
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/hit your usage limit\. To get more access now, send a request to your admin or try again at/);
    expect(r.out).not.toMatch(/Reconnecting/);
    expect(h.fake.requests.filter((q) => q.method === 'POST' || (q.method === 'WS' && (q.json as { type?: string }).type === 'response.create'))).toHaveLength(0);
    const rows = await h.rows();
    expect(rows.map((x) => [x.client, x.outcome, x.errorType, x.status])).toEqual(Array.from({ length: refusals }, () => ['codex', 'rejected', 'budget_exceeded', 429]));
  });
});
