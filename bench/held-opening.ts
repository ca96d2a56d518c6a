import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startTollgate } from '../src/app.js';
import type { ProviderConfig } from '../src/config/config.js';
import { routingConfig } from '../src/config/routing.js';
import { silentLogger } from '../src/core/logger.js';
import { type UpstreamProvider, providerTable } from '../src/gateway/select-provider.js';
import { createKey } from '../src/identity/key-service.js';
import { catalogPrices } from '../src/pricing/index.js';
import { openSqlite } from '../src/storage/sqlite/sqlite-storage.js';
import { startFakeUpstream } from '../test/fake-upstream/index.js';
import { median } from './stats.js';

// `npx tsx bench/held-opening.ts`: the time to a streamed answer's first byte at the client, in
// process against the fake upstream, on a route where another try is possible (the stream's start is
// held until its output begins, gateway/held-opening.ts) and on one where none is (never held), in
// pairs taken one after the other in random order. PAIRS (default 400) per API, after 50 to warm up.
// GAP_MS (default 0) spaces the fake's events: 0 sends a stream in one write, so the figure is the
// cost of reading the held events; with a gap, a held stream waits for its first output event.
const PAIRS = Number(process.env.PAIRS ?? 400);
const GAP_MS = Number(process.env.GAP_MS ?? 0);

const fake = await startFakeUpstream({ record: false });
fake.setDefault({ usage: { input: 200, output: 40 }, chunks: 12, chunkDelayMs: GAP_MS });
const dir = mkdtempSync(join(tmpdir(), 'tollgate-held-'));
const storage = openSqlite(join(dir, 'tollgate.db'));
const providers: UpstreamProvider[] = [
  { name: 'openai', dialect: 'openai', baseUrl: fake.url, apiKey: 'sk-upstream', models: undefined, headers: {}, catalog: 'openai' },
  { name: 'anthropic', dialect: 'anthropic', baseUrl: fake.url, apiKey: 'sk-ant-upstream', models: undefined, headers: {}, catalog: 'anthropic' },
];
const configs: ProviderConfig[] = providers.map((p) => ({ name: p.name, dialect: p.dialect, baseUrl: p.baseUrl, apiKey: p.apiKey, models: undefined, headers: {}, catalog: p.catalog }));
const two = (provider: string, name: string) => [
  { provider, name: `${name}-a` },
  { provider, name: `${name}-b`, order: 1 },
];
const routing = routingConfig(
  {
    // One try per deployment: the solo routes have no other try, so their streams are never held.
    routing: { affinity: { enabled: false }, retry: { per_deployment: 1 } },
    routes: [
      { model: 'gpt-5', deployments: two('openai', 'oa') },
      { model: 'gpt-solo', deployments: [{ provider: 'openai', name: 'oa-solo' }] },
      { model: 'claude-sonnet-4-5', deployments: two('anthropic', 'ant') },
      { model: 'claude-solo', deployments: [{ provider: 'anthropic', name: 'ant-solo' }] },
    ],
  },
  configs,
  10_000,
);
const tg = await startTollgate({
  host: '127.0.0.1',
  port: 0,
  storage,
  spoolDir: join(dir, 'spool'),
  providers: providerTable(providers, { catalogPrices }),
  auth: { passthrough: 'allow', anonymous: 'deny' },
  price: () => ({ costPicos: 0n, unpriced: false }),
  maxBodyBytes: 1 << 20,
  timeouts: { connectMs: 2000, firstByteMs: 10_000, idleMs: 10_000 },
  adminToken: undefined,
  log: silentLogger,
  routing,
});
const { key } = await createKey(storage.keys, { user: 'bench', team: 'bench', project: 'bench' });
const agent = new Agent({ connections: 8, keepAliveTimeout: 60_000 });

interface Api {
  name: string;
  path: string;
  headers: Record<string, string>;
  body: (model: string) => string;
  held: string;
  plain: string;
}
const APIS: Api[] = [
  { name: 'Responses', path: '/v1/responses', headers: { authorization: `Bearer ${key}` }, body: (model) => JSON.stringify({ model, stream: true, input: 'hi' }), held: 'gpt-5', plain: 'gpt-solo' },
  { name: 'Messages', path: '/v1/messages', headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' }, body: (model) => JSON.stringify({ model, max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] }), held: 'claude-sonnet-4-5', plain: 'claude-solo' },
];

/** Milliseconds from sending the request to the first byte of its body. */
async function firstByte(api: Api, model: string): Promise<number> {
  const start = performance.now();
  const res = await request(`${tg.url}${api.path}`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json', ...api.headers }, body: api.body(model) });
  let at = NaN;
  for await (const _ of res.body) if (Number.isNaN(at)) at = performance.now() - start;
  if (res.statusCode !== 200) throw new Error(`${model}: HTTP ${res.statusCode}`);
  return at;
}

const p90 = (v: readonly number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length * 0.9)]!;
const ms = (v: number) => v.toFixed(3);
for (const api of APIS) {
  const held: number[] = [];
  const plain: number[] = [];
  const diffs: number[] = [];
  for (let i = 0; i < PAIRS + 50; i++) {
    const heldFirst = Math.random() < 0.5;
    const a = await firstByte(api, heldFirst ? api.held : api.plain);
    const b = await firstByte(api, heldFirst ? api.plain : api.held);
    if (i < 50) continue;
    const [h, p] = heldFirst ? [a, b] : [b, a];
    held.push(h);
    plain.push(p);
    diffs.push(h - p);
  }
  console.log(`${api.name} (gap ${GAP_MS} ms, ${PAIRS} pairs): first byte held median ${ms(median(held))} ms p90 ${ms(p90(held))}; never held median ${ms(median(plain))} ms p90 ${ms(p90(plain))}; paired difference median ${ms(median(diffs))} ms`);
}
await agent.close();
await tg.close();
await fake.close();
rmSync(dir, { recursive: true, force: true });
