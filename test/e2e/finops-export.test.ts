import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/index.js';
import { parseCsv } from '../support/csv.js';
import { type Served, serve, tollgate } from './cli.js';

// What FinOps opens in a spreadsheet, from requests and spans anyone with a key can send.
const EVIL_TAG = "@SUM(1+1)*cmd|'/C calc'!A0";
const EVIL_MODEL = '=HYPERLINK("http://x")';

let fake: FakeUpstream;
let dir: string;
let config: string;
let gw: Served;
const env = { UPSTREAM_KEY: 'x' };
const month = new Date().toISOString().slice(0, 7);
const run = (...args: string[]) => tollgate([...args, '--config', config], { cwd: dir, env });


/** CSV text as objects by its header. */
function records(text: string): Record<string, string>[] {
  const [head, ...rows] = parseCsv(text);
  return rows.map((r) => Object.fromEntries(head!.map((h, i) => [h, r[i]!])));
}

/** One OTLP/JSON GenAI span: a model call an app made to a provider directly. */
function span(i: number, provider: string, model: string) {
  const at = BigInt(Date.now() - 60_000 + i * 1000) * 1_000_000n;
  const attributes = [
    { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
    { key: 'gen_ai.system', value: { stringValue: provider } },
    { key: 'gen_ai.request.model', value: { stringValue: model } },
    { key: 'gen_ai.usage.input_tokens', value: { intValue: '1000' } },
    { key: 'gen_ai.usage.output_tokens', value: { intValue: '100' } },
  ];
  const id = (n: number, len: number) => n.toString(16).padStart(len, '0');
  return { traceId: id(i + 1, 32), spanId: id(i + 1, 16), name: `chat ${model}`, kind: 3, startTimeUnixNano: at.toString(), endTimeUnixNano: (at + 500_000_000n).toString(), attributes };
}

beforeAll(async () => {
  fake = await startFakeUpstream({ port: 19402 });
  dir = mkdtempSync(join(tmpdir(), 'tollgate-finops-export-e2e-'));
  config = join(dir, 'tollgate.yaml');
  writeFileSync(config, ['storage: { sqlite: ./data/tollgate.db }', 'providers:', `  - { name: openai, dialect: openai, base_url: "${fake.url}", api_key: "\${UPSTREAM_KEY}", catalog: openai }`, ''].join('\n'));
  gw = await serve(['--config', config, '--port', '19401'], { cwd: dir, env: { UPSTREAM_KEY: 'sk-fake', TOLLGATE_ADMIN_TOKEN: 'adm' } });
  const created = await run('keys', 'create', '--user', 'carol', '--team', 'web', '--project', 'site', '--json');
  const key = (JSON.parse(created.stdout) as { key: string }).key;
  fake.setDefault({ usage: { input: 2000, cacheRead: 0, output: 500 } });
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'user-agent': 'curl/8.5.0', 'x-tollgate-tags': `team=finance-allocation,cost_center=cc-9,workflow=${EVIL_TAG}` },
    body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(res.status).toBe(200);
  await res.text();
  const spans = [span(0, 'openai', EVIL_MODEL), span(1, 'aws.bedrock', 'anthropic.claude-sonnet-4-5-20250929-v1:0'), span(2, 'gcp.vertex_ai', 'claude-sonnet-4-5@20250929'), span(3, 'gcp.vertex_ai', 'gemini-2.5-pro'), span(4, 'azure.ai.openai', 'gpt-4o'), span(5, 'anthropic', 'claude-sonnet-4-5')];
  const otlp = await fetch(`${gw.url}/v1/traces`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'billing-app' } }] }, scopeSpans: [{ scope: { name: 'e2e' }, spans }] }] }),
  });
  expect(otlp.status).toBe(200);
  expect(await otlp.json()).toEqual({});
  // Rows are committed in batches; the admin report flushes them.
  await fetch(`${gw.url}/admin/v1/report`, { headers: { authorization: 'Bearer adm' } });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});

describe('the built CLI: FinOps exports of what requests and spans sent', () => {
  it('keeps the request tags in FOCUS Tags as sent, Tollgate attribution under tollgate/', async () => {
    const r = await run('export', '--format', 'focus');
    expect(r.code).toBe(0);
    const rows = records(r.stdout).filter((x) => x.x_Model === 'gpt-5');
    expect(rows.length).toBeGreaterThan(0);
    for (const x of rows) expect(JSON.parse(x.Tags!)).toEqual({ cost_center: 'cc-9', team: 'finance-allocation', workflow: EVIL_TAG, 'tollgate/user': 'carol', 'tollgate/team': 'web', 'tollgate/project': 'site', 'tollgate/client': 'curl', 'tollgate/client_version': '8.5.0' });
  });

  it('writes a tag or model a spreadsheet would run as a formula as text in every CSV', async () => {
    const report = await run('report', '--by', 'tag:workflow', '--format', 'csv');
    expect(report.code).toBe(0);
    expect(records(report.stdout).map((x) => x.workflow)).toContain(`'${EVIL_TAG}`);
    const statement = await run('chargeback', '--month', month, '--by', 'tag:workflow', '--format', 'csv');
    expect(statement.code).toBe(0);
    expect(records(statement.stdout).map((x) => x.workflow)).toContain(`'${EVIL_TAG}`);
    const focus = records((await run('export', '--format', 'focus')).stdout).find((x) => x.x_Model === `'${EVIL_MODEL}`)!;
    expect(focus).toBeDefined();
    expect(focus.ChargeDescription!.startsWith(`'${EVIL_MODEL}`)).toBe(true);
    expect(records((await run('export', '--format', 'csv')).stdout).map((x) => x.model)).toContain(`'${EVIL_MODEL}`);
    const outcomes = await run('outcomes', 'report', '--by', 'model', '--format', 'csv');
    expect(records(outcomes.stdout).map((x) => x.model)).toContain(`'${EVIL_MODEL}`);
    const admin = await fetch(`${gw.url}/admin/v1/report?by=model&since=1d&format=csv`, { headers: { authorization: 'Bearer adm' } });
    expect(records(await admin.text()).map((x) => x.model)).toContain(`'${EVIL_MODEL}`);
    // No cell anywhere begins a formula.
    for (const text of [report.stdout, statement.stdout, outcomes.stdout]) for (const row of parseCsv(text)) for (const cell of row) expect(cell).not.toMatch(/^[=+@\t\r]|^-(?!\d)/);
  });

  it('names the host as provider and invoice issuer, the model maker as publisher', async () => {
    const rows = records((await run('export', '--format', 'focus')).stdout);
    const names = (model: string) => {
      const x = rows.find((r) => r.x_Model === model)!;
      return [x.ProviderName, x.InvoiceIssuerName, x.PublisherName, x.ServiceName];
    };
    expect(names('anthropic.claude-sonnet-4-5-20250929-v1:0')).toEqual(['AWS', 'AWS', 'Anthropic', 'Claude on Amazon Bedrock']);
    expect(names('claude-sonnet-4-5@20250929')).toEqual(['Google', 'Google', 'Anthropic', 'Claude on Vertex AI']);
    expect(names('gemini-2.5-pro')).toEqual(['Google', 'Google', 'Google', 'Vertex AI']);
    expect(names('gpt-4o')).toEqual(['Microsoft', 'Microsoft', 'OpenAI', 'Azure OpenAI']);
    expect(names('claude-sonnet-4-5')).toEqual(['Anthropic', 'Anthropic', 'Anthropic', 'Claude API']);
    expect(names('gpt-5')).toEqual(['OpenAI', 'OpenAI', 'OpenAI', 'OpenAI API']);
  });

  it('writes to stdout for -o -, and the format the -o extension names without --format', async () => {
    const stdout = await run('export', '--format', 'focus', '--since', '1d', '-o', '-');
    expect(stdout.code).toBe(0);
    expect(stdout.stdout.startsWith('BilledCost,')).toBe(true);
    expect(existsSync(join(dir, '-'))).toBe(false);
    expect((await run('export', '-o', 'exp.csv')).code).toBe(0);
    expect(readFileSync(join(dir, 'exp.csv'), 'utf8').startsWith('id,ts,api,')).toBe(true);
    const w = await run('chargeback', '--month', month, '-o', 'statement.csv');
    expect(w.stdout).toBe(`Wrote the ${month} statement to statement.csv.\n`);
    expect(readFileSync(join(dir, 'statement.csv'), 'utf8').startsWith('team,spend_usd,share,')).toBe(true);
    const conflict = await run('chargeback', '--month', month, '--format', 'json', '-o', 'statement.csv');
    expect(conflict.code).toBe(2);
    expect(conflict.stderr).toBe('tollgate: chargeback: --format json does not fit "statement.csv": a .csv file is written with --format csv; change one or leave --format out\n');
  });
});
