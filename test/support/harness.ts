import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { PolicyOptions } from '../../src/app-policy.js';
import { MemorySink } from '../../src/alerts/webhook.js';
import type { CacheSettings } from '../../src/cache-analysis/gateway.js';
import { type AppOptions, type RoutingOptions, type Tollgate, startTollgate } from '../../src/app.js';
import { DEFAULT_POLICY_SETTINGS } from '../../src/policy/settings.js';
import type { LedgerRow } from '../../src/core/ledger-row.js';
import { type Logger, silentLogger } from '../../src/core/logger.js';
import { type UpstreamProvider, providerTable } from '../../src/gateway/select-provider.js';
import type { AuthPolicy } from '../../src/identity/identify.js';
import { type CreatedKey, createKey } from '../../src/identity/key-service.js';
import type { PriceFn } from '../../src/metering/build-row.js';
import type { RoutingRule } from '../../src/routing/rules/rule.js';
import type { Storage } from '../../src/storage/ports.js';
import { openSqlite } from '../../src/storage/sqlite/sqlite-storage.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/index.js';
import { tierMultiplier } from '../../src/pricing/modifiers.js';
import { catalogPrices } from '../../src/pricing/index.js';
import type { Picos } from '../../src/core/money.js';
import { budgetCounter } from '../../src/policy/plan.js';
import { budgetInput, parseRule, toBudget } from '../../src/policy/rule-input.js';
import type { Budget } from '../../src/policy/rules.js';
import type { ProxySettings } from '../../src/egress/proxy-settings.js';

export interface Harness {
  tollgate: Tollgate;
  fake: FakeUpstream;
  url: string;
  dir: string;
  key: CreatedKey;
  /** Ledger rows written since the harness started, or since `mark()`, after flushing the writer. */
  rows(): Promise<LedgerRow[]>;
  /** Starts a new window for `rows()` (await it in beforeEach). */
  mark(): Promise<void>;
  row(id: string): Promise<LedgerRow>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  auth?: Partial<AuthPolicy>;
  /** Wrong admin tokens per address before it is refused for a while (the gateway's default when unset). */
  adminFailures?: AppOptions['adminFailures'];
  price?: PriceFn;
  providers?: (fakeUrl: string) => UpstreamProvider[];
  firstByteTimeoutMs?: number;
  /** `server.idle_timeout_ms` (10 s by default here). */
  idleTimeoutMs?: number;
  maxBodyBytes?: number;
  /** A file upload's limit (the gateway's default, 512 MB, when unset). */
  maxUploadBytes?: number;
  /** Request-body bytes held at once for callers without a Tollgate key (4 × maxBodyBytes when unset). */
  unverifiedBodiesBytes?: number;
  /** Of those, the most one client address holds (the gateway's default share when unset). */
  unverifiedBodiesPerAddressBytes?: number;
  /** The time a client has to send its whole request (Node's 5 minutes by default). */
  requestTimeoutMs?: number;
  /** Client connections open at once (`server.max_connections`; the gateway's default when unset). */
  maxConnections?: number;
  /** Reverse proxies whose forwarded header names the client (`server.trusted_proxies`; none when unset). */
  trustedProxies?: AppOptions['trustedProxies'];
  /** After close() begins, how long the gateway keeps serving with /readyz at 503 (none by default). */
  shutdownDelayMs?: number;
  /** Turns spend controls on; unset fields take test defaults (memory counters, no rules, a recording alert sink). */
  policy?: Partial<PolicyOptions>;
  /** Configured routes (deployments, retries, fallbacks), built against the fake's URL. */
  routing?: (fakeUrl: string) => RoutingOptions;
  routingRules?: RoutingRule[];
  /** Prompt-prefix hashing and `cache: auto` rules (hashing on, no rules, by default). */
  cache?: CacheSettings;
  /** The OTLP receiver (on, knowing only this server's own address, by default). */
  telemetry?: AppOptions['telemetry'];
  /** Asking the provider about background responses nobody looked up (off by default). */
  deferredUsage?: AppOptions['deferredUsage'];
  cors?: AppOptions['cors'];
  /** Commit on the event loop, as `tollgate serve` does by default, instead of in a worker thread. */
  inlineWriter?: { insertLockWaitMs: number };
  /** The gateway's log (silent by default). */
  log?: Logger;
  /** How often the gateway checks its ledger's files (see AppOptions). */
  fileCheckMs?: number;
  /** PEM files to serve HTTPS with (plain HTTP by default). */
  tls?: { cert: string; key: string };
  /** Proxy settings for the gateway's outbound requests (none by default). */
  proxies?: ProxySettings;
  /** How long an admin read waits for the rows recorded before it (the gateway's default when unset). */
  ledgerReadWaitMs?: number;
  /** Another storage than the SQLite file (committed on the event loop). */
  storage?: () => Promise<Storage>;
}

/**
 * One harness for the test file or `describe` block that calls this: started before its tests,
 * closed after them, and before each test the fake's scripted answers reset and `rows()`
 * marked. Its fields are there from `beforeAll` on.
 */
export function useHarness(o: HarnessOptions = {}): Harness {
  const h = {} as Harness;
  beforeAll(async () => {
    Object.assign(h, await startHarness(o));
  });
  afterAll(() => h.close());
  beforeEach(async () => {
    h.fake.reset();
    await h.mark();
  });
  return h;
}

/** Spend controls for tests: memory counters, rules re-read every 50 ms, alerts recorded in memory. */
export function testPolicy(p: Partial<PolicyOptions> = {}): PolicyOptions {
  return {
    settings: { ...DEFAULT_POLICY_SETTINGS, ...p.settings },
    rules: { budgets: [], rateLimits: [], modelPolicies: [], ...p.rules },
    redisUrl: p.redisUrl,
    alerts: p.alerts ?? new MemorySink(),
    signedLinks: p.signedLinks,
    refreshMs: p.refreshMs ?? 50,
    now: p.now,
  };
}

/** A deterministic stand-in price: 1 pico per input token, 10 per output token; unknown models unpriced. */
export const testPrice: PriceFn = (r) =>
  r.model.startsWith('unknown') ? { costPicos: null, unpriced: true } : { costPicos: BigInt(r.usage.inputTokens + 10 * r.usage.outputTokens), unpriced: false };

/** A configured budget, from the config file's own fields (`{ scope: 'user:alice', window: 'day', limit_usd: 10 }`). */
export function testBudget(input: Record<string, unknown>): Budget {
  return toBudget(parseRule(budgetInput, input), 'budget', 'config', 0);
}

/** A budget's counter now, read through a gateway's own counters: spent, and held by reservations. */
export async function counterOn(t: Tollgate, budget: Budget): Promise<{ spent: Picos; held: Picos }> {
  const p = t.policy!;
  const line = budgetCounter(p.settings.keyPrefix, budget, p.rules.current(), Date.now(), p.settings.timeZone).line;
  return (await p.counters.read([line]))[0]!;
}

/** What a budget's counter holds as spent now. */
export async function spentOn(t: Tollgate, budget: Budget): Promise<Picos> {
  return (await counterOn(t, budget)).spent;
}

/** testPrice at the service tier's multiplier: a `batch` (Anthropic's or OpenAI's) is half. */
export const tierPrice: PriceFn = (r) => {
  const p = testPrice(r);
  if (p.costPicos === null) return p;
  return { costPicos: tierMultiplier(r.catalogProvider, r.serviceTier) === '0.5' ? p.costPicos / 2n : p.costPicos, unpriced: false };
};

export function defaultProviders(url: string): UpstreamProvider[] {
  return [
    { name: 'openai', dialect: 'openai', baseUrl: url, apiKey: 'sk-upstream-openai', models: undefined, headers: {}, catalog: 'openai' },
    { name: 'anthropic', dialect: 'anthropic', baseUrl: url, apiKey: 'sk-ant-upstream', models: undefined, headers: {}, catalog: 'anthropic' },
    { name: 'gemini', dialect: 'gemini', baseUrl: url, apiKey: 'gm-upstream', models: undefined, headers: {}, catalog: 'google' },
  ];
}

/** Tollgate in this process, on a temp SQLite file, in front of a fake upstream. */
export async function startHarness(o: HarnessOptions = {}): Promise<Harness> {
  const fake = await startFakeUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-it-'));
  const storage = o.storage ? await o.storage() : openSqlite(join(dir, 'tollgate.db'), { insertLockWaitMs: o.inlineWriter?.insertLockWaitMs });
  const tollgate = await startTollgate({
    host: '127.0.0.1',
    port: 0,
    storage,
    ledgerWorker: o.inlineWriter || o.storage ? undefined : { kind: 'sqlite', path: join(dir, 'tollgate.db') },
    spoolDir: join(dir, 'spool'),
    providers: providerTable((o.providers ?? defaultProviders)(fake.url), { catalogPrices }),
    auth: { passthrough: 'allow', anonymous: 'deny', ...o.auth },
    price: o.price ?? testPrice,
    maxBodyBytes: o.maxBodyBytes ?? 32 * 1024 * 1024,
    maxUploadBytes: o.maxUploadBytes,
    unverifiedBodiesBytes: o.unverifiedBodiesBytes,
    unverifiedBodiesPerAddressBytes: o.unverifiedBodiesPerAddressBytes,
    requestTimeoutMs: o.requestTimeoutMs,
    maxConnections: o.maxConnections,
    trustedProxies: o.trustedProxies,
    proxies: o.proxies,
    tls: o.tls,
    timeouts: { connectMs: 2000, firstByteMs: o.firstByteTimeoutMs ?? 10_000, idleMs: o.idleTimeoutMs ?? 10_000 },
    adminToken: 'admin-secret',
    adminFailures: o.adminFailures,
    log: o.log ?? silentLogger,
    flushIntervalMs: 5,
    ledgerReadWaitMs: o.ledgerReadWaitMs,
    fileCheckMs: o.fileCheckMs,
    drainMs: 1000,
    shutdownDelayMs: o.shutdownDelayMs,
    policy: o.policy ? testPolicy(o.policy) : undefined,
    routing: o.routing?.(fake.url),
    routingRules: o.routingRules,
    cache: o.cache,
    telemetry: o.telemetry,
    deferredUsage: o.deferredUsage,
    cors: o.cors,
  });
  const key = await createKey(storage.keys, { user: 'alice', team: 'platform', project: 'tollgate' });
  let seen = new Set<string>();
  const all = async () => {
    await tollgate.flush();
    const out: LedgerRow[] = [];
    for await (const r of storage.ledger.scan({})) out.push(r);
    return out;
  };
  const rows = async () => (await all()).filter((r) => !seen.has(r.id));
  const mark = async () => {
    seen = new Set((await all()).map((x) => x.id));
  };
  return {
    tollgate,
    fake,
    url: tollgate.url,
    dir,
    key,
    rows,
    mark,
    async row(id) {
      await tollgate.flush();
      const r = await storage.ledger.get(id);
      if (!r) throw new Error(`no ledger row ${id}`);
      return r;
    },
    async close() {
      await tollgate.close();
      await fake.close();
    },
  };
}

/** A minimal chat completion with the harness's key, which must answer 200; returns its request id. */
export async function chatOk(h: Pick<Harness, 'url' | 'key'>): Promise<string> {
  const res = await request(`${h.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.body.text();
  expect(res.statusCode).toBe(200);
  return res.headers['x-tollgate-request-id'] as string;
}

/**
 * Polls until `check` passes (ledger writes and upstream aborts settle asynchronously). Up to 10 s:
 * what is awaited runs in the background (ledger batches, billing lookups), and a loaded machine
 * has taken past 3 s; a check that passes returns at once, so only a failing test waits that long.
 */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
