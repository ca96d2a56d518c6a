import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPricer } from '../../src/pricing/index.js';
import { AGENT_BIN, runAgentOk } from '../support/agent-run.js';
import { type Harness, eventually, startHarness } from '../support/harness.js';

const pricer = createPricer();
/** `h` serves the API calls; `t` receives the telemetry, so each ledger holds one source (no cross-source de-duplication). */
let h: Harness;
let t: Harness;
beforeAll(async () => {
  h = await startHarness({ price: (q) => pricer(q) });
  t = await startHarness({ price: (q) => pricer(q) });
});
afterAll(async () => {
  await h.close();
  await t.close();
});

// The real Claude Code CLI (npm), its OpenTelemetry export pointed at Tollgate, its API calls at the fake upstream.
describe.each(['http/json', 'http/protobuf'])('Claude Code telemetry over %s', (protocol) => {
  it('its api_request events land as ledger rows that match the gateway rows of the same calls', async () => {
    await h.mark();
    await t.mark();
    h.fake.setDefault({ text: 'Hello from the fake upstream.', usage: { input: 20, cacheRead: 5000, cacheWrite5m: 800, output: 12 } });
    const home = join(h.dir, `claude-home-${protocol.replace('/', '-')}`);
    mkdirSync(home, { recursive: true });
    const { stdout } = await runAgentOk(join(AGENT_BIN, 'claude'), ['-p', 'say hi', '--output-format', 'json'], {
      timeout: 90_000,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        ANTHROPIC_BASE_URL: h.url,
        ANTHROPIC_API_KEY: h.key.key,
        DISABLE_AUTOUPDATER: '1',
        CLAUDE_CODE_ENABLE_TELEMETRY: '1',
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT: `${t.url}/otlp`,
        OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer ${t.key.key}`,
        OTEL_LOGS_EXPORT_INTERVAL: '200',
        OTEL_METRIC_EXPORT_INTERVAL: '500',
      },
    });
    const result = JSON.parse(stdout) as { is_error: boolean; session_id: string };
    expect(result.is_error).toBe(false);
    const gateway = (await h.rows()).filter((r) => r.api === 'anthropic.messages');
    expect(gateway.length).toBeGreaterThan(0);
    const otel = await eventually(async () => {
      const rows = await t.rows();
      expect(rows.length).toBe(gateway.length);
      return rows;
    }, 20_000);
    // One event per call the gateway served, carrying the same upstream request id.
    expect(otel.map((r) => r.upstreamRequestId).sort()).toEqual(gateway.map((r) => r.upstreamRequestId).sort());
    for (const row of otel) {
      const twin = gateway.find((g) => g.upstreamRequestId === row.upstreamRequestId)!;
      expect(row).toMatchObject({
        sessionId: result.session_id,
        client: 'claude-code',
        source: 'claude-code-otel',
        keyId: t.key.id,
        user: 'alice',
        model: twin.model,
        inputTokens: twin.inputTokens,
        cacheReadTokens: twin.cacheReadTokens,
        cacheWriteTokens: twin.cacheWriteTokens,
        outputTokens: twin.outputTokens,
        costPicos: twin.costPicos,
      });
    }
    // Its usage counters land in the cross-check series, and agree with the events.
    const counters = await eventually(async () => {
      const found = (await t.tollgate.storage.telemetry.sumPoints({})).filter((c) => c.sessionId === result.session_id);
      expect(found.length).toBeGreaterThan(0);
      return found;
    }, 20_000);
    const sum = (f: (r: (typeof otel)[number]) => number) => otel.reduce((n, r) => n + f(r), 0);
    expect(counters.reduce((n, c) => n + c.outputTokens, 0)).toBe(sum((r) => r.outputTokens));
    expect(counters.reduce((n, c) => n + c.cacheReadTokens, 0)).toBe(sum((r) => r.cacheReadTokens));
  }, 120_000);
});
