import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as tollgate } from '../../src/cli/program.js';
import { testCertificate } from '../support/certs.js';
import { AGENT_BIN as BIN, codexProvider, runAgentOk as run, runCodexOk } from '../support/agent-run.js';
import { useHarness } from '../support/harness.js';

const h = useHarness();

// The real agents, installed from npm, pointed at the gateway. No network: the fake upstream answers.
describe('coding agents through Tollgate', () => {
  it('Claude Code: streams through unchanged and is attributed to its session', async () => {
    h.fake.setDefault({ text: 'Hello from the fake upstream.', usage: { input: 20, cacheRead: 5000, cacheWrite5m: 800, output: 12 } });
    const home = join(h.dir, 'claude-home');
    mkdirSync(home, { recursive: true });
    const { stdout } = await run(join(BIN, 'claude'), ['-p', 'say hi', '--output-format', 'json'], {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        ANTHROPIC_BASE_URL: h.url,
        ANTHROPIC_API_KEY: h.key.key,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_TELEMETRY: '1',
        DISABLE_AUTOUPDATER: '1',
      },
      timeout: 60_000,
    });
    const result = JSON.parse(stdout) as { is_error: boolean; result: string; session_id: string };
    expect(result.is_error).toBe(false);
    expect(result.result).toContain('Hello from the fake upstream.');

    const messages = h.fake.requests.filter((r) => r.path === '/v1/messages');
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) {
      // Claude Code's gateway rules: version, beta and key forwarded as it expects.
      expect(m.headers['anthropic-version']).toBe('2023-06-01');
      expect(m.headers['x-api-key']).toBe('sk-ant-upstream');
      expect(m.query.beta).toBe('true');
    }
    const rows = (await h.rows()).filter((r) => r.api === 'anthropic.messages');
    expect(rows.length).toBe(messages.length);
    for (const row of rows) {
      expect(row).toMatchObject({ client: 'claude-code', sessionId: result.session_id, keyId: h.key.id, outcome: 'ok', usageSource: 'final' });
    }
    expect(rows.some((r) => r.cacheReadTokens === 5000 && r.cacheWriteTokens === 800)).toBe(true);
  });

  it('Codex CLI: Responses API stream through the gateway, attributed to its session', async () => {
    h.fake.setDefault({ text: 'Done.', usage: { input: 300, cacheRead: 1024, output: 40, reasoning: 16 } });
    const { stdout, home: codexHome } = await runCodexOk({ dir: h.dir, name: 'codex-home', config: ['model = "gpt-5"', ...codexProvider(h.url)], key: h.key.key });
    expect(stdout).toContain('Done.');
    const calls = h.fake.requests.filter((r) => r.path === '/v1/responses');
    expect(calls.length).toBeGreaterThan(0);
    expect(calls[0]!.headers.authorization).toBe('Bearer sk-upstream-openai');
    const rows = (await h.rows()).filter((r) => r.api === 'openai.responses');
    expect(rows.length).toBe(calls.length);
    expect(rows[0]).toMatchObject({ client: 'codex', stream: true, inputTokens: 1324, cacheReadTokens: 1024, outputTokens: 40, reasoningTokens: 16, outcome: 'ok' });
    expect(rows[0]!.sessionId).toBe(calls[0]!.headers['session-id']);

    // The rollout Codex wrote for the same calls, imported into the same ledger: each call counts once.
    let out = '';
    const code = await tollgate(['import', '--source', 'codex', '--dir', codexHome, '--db', join(h.dir, 'tollgate.db'), '--state', join(h.dir, 'import-state.json'), '--json'], { out: (t) => void (out += t), err: () => undefined });
    expect(code).toBe(0);
    // Failed once under heavy load (two rows written): every row's identity is shown if it fails again.
    const seen = (await h.rows()).filter((r) => r.api === 'openai.responses').map((r) => ({ source: r.source, sessionId: r.sessionId, ts: r.ts, input: r.inputTokens, output: r.outputTokens, outcome: r.outcome }));
    expect({ written: (JSON.parse(out) as { written: number }).written, imported: seen.filter((r) => r.source !== 'gateway') }, JSON.stringify(seen)).toEqual({ written: 0, imported: [] });
    expect(seen).toHaveLength(calls.length);
  });
});

// A shared gateway reached over HTTPS (server.tls), its certificate from the company's own authority.
describe('coding agents through Tollgate over HTTPS', () => {
  const cert = testCertificate('localhost');
  const g = useHarness({ tls: cert });

  it('Claude Code trusts the gateway through NODE_EXTRA_CA_CERTS and is metered as over HTTP', async () => {
    g.fake.setDefault({ text: 'Hello over TLS.', usage: { input: 20, output: 5 } });
    const home = join(g.dir, 'claude-home');
    mkdirSync(home, { recursive: true });
    expect(g.url).toMatch(/^https:/);
    const { stdout } = await run(join(BIN, 'claude'), ['-p', 'say hi', '--output-format', 'json'], {
      env: { PATH: process.env.PATH, HOME: home, ANTHROPIC_BASE_URL: g.url, ANTHROPIC_API_KEY: g.key.key, NODE_EXTRA_CA_CERTS: cert.ca, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1' },
      timeout: 60_000,
    });
    const result = JSON.parse(stdout) as { is_error: boolean; result: string; session_id: string };
    expect(result.result).toContain('Hello over TLS.');
    const rows = (await g.rows()).filter((r) => r.api === 'anthropic.messages');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toMatchObject({ client: 'claude-code', sessionId: result.session_id, keyId: g.key.id, outcome: 'ok' });
  });

  it('Codex CLI trusts the gateway through SSL_CERT_FILE', async () => {
    g.fake.setDefault({ text: 'Done over TLS.', usage: { input: 300, output: 40 } });
    const { stdout } = await runCodexOk({ dir: g.dir, name: 'codex-home', config: ['model = "gpt-5"', ...codexProvider(g.url)], key: g.key.key, env: { SSL_CERT_FILE: cert.ca } });
    expect(stdout).toContain('Done over TLS.');
    expect((await g.rows()).filter((r) => r.api === 'openai.responses' && r.client === 'codex' && r.outcome === 'ok').length).toBeGreaterThan(0);
  });
});
