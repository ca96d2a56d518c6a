import { DEFAULTS } from './config/config.js';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { Dispatcher } from 'undici';
import { type AnomalyOptions, startAnomalies } from './app-anomalies.js';
import { type PolicyOptions, startPolicy } from './app-policy.js';
import type { GeminiCaches } from './policy/gemini-cache.js';
import type { ResponseContexts } from './policy/response-context.js';
import type { AnomalyWatch } from './anomalies/watch.js';
import type { Dialect } from './core/api.js';
import { type Logger, RepeatedFailure } from './core/logger.js';
import { AuthThrottle, DEFAULT_THROTTLE, type ThrottleSettings } from './identity/auth-throttle.js';
import { TrustedProxies, type TrustedProxySettings } from './identity/client-address.js';
import { startLedger } from './app-ledger.js';
import type { PolicyRuntime } from './policy/runtime.js';
import type { SettledSpend } from './policy/settled-spend.js';
import type { CacheSettings } from './cache-analysis/gateway.js';
import { rowPricer } from './cache-analysis/report.js';
import { geminiBatchPoller, messageBatchPoller, openaiBatchOfFile, openaiBatchPoller } from './gateway/batch-poll.js';
import { type Gateway, type GatewayDeps, createGateway } from './gateway/proxy.js';
import { ObjectOwners } from './gateway/objects/owners.js';
import { BodyRoom } from './gateway/body-room.js';
import { onDemandSocketGateway } from './gateway/websocket/on-demand.js';
import { responsePoller } from './gateway/response-poll.js';
import type { ProviderTable } from './gateway/select-provider.js';
import { type UpstreamTimeouts, createAgent } from './gateway/upstream.js';
import type { ProxySettings } from './egress/proxy-settings.js';
import type { AuthPolicy } from './identity/identify.js';
import { KeyResolver } from './identity/key-resolver.js';
import { DeferredUsageSweep, type DeferredUsageSettings } from './metering/deferred-usage-sweep.js';
import { BackgroundUsage, type FinishedResponse } from './metering/background-usage.js';
import { BatchResultRows } from './metering/batch-results.js';
import type { PriceFn } from './metering/build-row.js';
import type { BatchResults } from './providers/types.js';
import type { LedgerWriter } from './metering/ledger-writer.js';
import type { LedgerRow } from './core/ledger-row.js';
import type { StorageSpec } from './storage/open.js';
import { importPricer } from './server/admin-ledger-import.js';
import type { AdminDeps } from './server/admin.js';
import type { CorsSettings } from './server/cors.js';
import { createHttpServer } from './server/http-server.js';
import { TlsSetupError, loadTls } from './server/tls.js';
import { InFlight } from './server/in-flight.js';
import { listenOn } from './server/listen.js';
import { unusedConnections } from './server/unused-connections.js';
import type { GatewayMetrics } from './metrics/gateway-metrics.js';
import { Router } from './routing/router.js';
import type { HealthPolicy, Route } from './routing/types.js';
import type { RoutingRule } from './routing/rules/rule.js';
import { RuleRouter } from './routing/rules/router.js';
import type { Storage } from './storage/ports.js';
import { handleOtlp } from './telemetry/receiver.js';
import { type GatewayAddress, ownAddresses } from './telemetry/via-gateway.js';

export interface AppOptions {
  host: string;
  port: number;
  storage: Storage;
  /**
   * When set, ledger batches are committed by a worker thread with its own connection to
   * this storage, so SQL never runs on the event loop. Without it (an in-memory SQLite),
   * batches commit on the main thread.
   */
  ledgerWorker?: StorageSpec;
  /** Where the metering spool lives (next to the SQLite file by default). */
  spoolDir: string;
  providers: ProviderTable;
  auth: AuthPolicy;
  price: PriceFn;
  maxBodyBytes: number;
  /** A file upload's limit (`server.max_upload_mb`; 512 MB when absent). */
  maxUploadBytes?: number;
  /** Request-body bytes held at once for callers without a Tollgate key (`server.unverified_bodies_mb`; 4 × maxBodyBytes when absent). */
  unverifiedBodiesBytes?: number;
  /** Of those, the most one client address holds (`server.unverified_bodies_per_address_mb`; BodyRoom's default when absent). */
  unverifiedBodiesPerAddressBytes?: number;
  /** What `GET /admin/v1/export?format=focus` needs from the config; that format is refused when absent. */
  focus?: AdminDeps['focus'];
  /** Time a client has to send its whole request; past it, 408 (Node's default of 5 minutes when absent). */
  requestTimeoutMs?: number;
  /** Client connections open at once (`server.max_connections`; 4000 when absent). */
  maxConnections?: number;
  /** Reverse proxies whose forwarded header names the client (`server.trusted_proxies`); none when absent. */
  trustedProxies?: TrustedProxySettings;
  timeouts: UpstreamTimeouts;
  /** PEM files to serve HTTPS with (`server.tls`); plain HTTP when absent. */
  tls?: { cert: string; key: string };
  /** The proxy settings outbound requests follow (from the environment: https_proxy, no_proxy…); none, every request goes direct. */
  proxies?: ProxySettings;
  adminToken: string | undefined;
  /** Wrong admin tokens per client address before it is refused for a while (`auth.admin_failures`; DEFAULT_THROTTLE when absent). */
  adminFailures?: ThrottleSettings;
  log: Logger;
  /** How long `close` waits for in-flight requests before cutting them. */
  drainMs?: number;
  /** How long `close` keeps serving, /readyz answering 503, before it closes the listener (a load balancer's time to notice). */
  shutdownDelayMs?: number;
  flushIntervalMs?: number;
  /** How long an admin read waits for the rows recorded before it to be committed (`storage.query_timeout_ms` on Postgres; 30 s when absent). */
  ledgerReadWaitMs?: number;
  /** How often the ledger's and the spool's files are checked for having been deleted (default 10 s). */
  fileCheckMs?: number;
  /** Budgets, rate limits and model policy (off when absent). */
  policy?: PolicyOptions;
  /** Configured routes: deployments, retries, fallbacks, health (the plain path when absent or empty). */
  routing?: RoutingOptions;
  /** Routing rules in evaluation order (docs/routing-rules.md). */
  routingRules?: readonly RoutingRule[];
  /** Prompt-prefix hashing and `cache: auto` (hashing on, nothing added, when absent). */
  cache?: CacheSettings;
  /** The anomaly scheduler (off when absent or disabled). */
  anomalies?: AnomalyOptions;
  /** The OTLP/HTTP receiver (docs/telemetry.md); on unless `enabled` is false. */
  telemetry?: { enabled: boolean; gatewayAddresses?: readonly GatewayAddress[] };
  /** Browser origins allowed on the API routes (`server.cors`); off when absent. */
  cors?: CorsSettings;
  /** Asking providers about background responses and batches nobody came back for (off when absent). */
  deferredUsage?: DeferredUsageSettings;
}

export interface RoutingOptions {
  routes: Route[];
  health: HealthPolicy;
  /** Shares deployment health between replicas. */
  redisUrl?: string;
  /** Key prefix for shared health (tests give each gateway group its own). */
  redisPrefix?: string;
}

export interface Tollgate {
  url: string;
  port: number;
  storage: Storage;
  gateway: Gateway;
  policy: PolicyRuntime | undefined;
  router: Router | undefined;
  anomalies: AnomalyWatch | undefined;
  /** Makes every row recorded so far visible in storage. */
  flush(): Promise<void>;
  /** Reads `server.tls`'s files again and serves new connections with them (a renewed certificate); throws TlsSetupError and keeps the old ones when they do not load. */
  reloadTls(): void;
  close(): Promise<void>;
}

/** As long as Postgres's default limit on a query: a batch of rows is a write like another. */
const LEDGER_READ_WAIT_MS = 30_000;

/** How long shutdown waits, after the connections close, for their requests to record their rows (later ones go to a spool file of their own). */
const SETTLE_MS = 5000;

/** The composition root: wires storage, metering, the gateway and the HTTP server, then listens. */
export async function startTollgate(o: AppOptions): Promise<Tollgate> {
  // First: a certificate that does not load stops the start before anything is opened.
  const tls = o.tls ? loadTls(o.tls) : undefined;
  // Before the spool is replayed: its rows are late, and the scheduler's first pass looks at what arrived since.
  const arrivals = o.anomalies?.settings.enabled ? await o.storage.ledger.arrivalCursor().catch(() => undefined) : undefined;
  const ledger = await startLedger({ ...o, charge: o.policy !== undefined });
  const { writer } = ledger;
  const keys = new KeyResolver(o.storage.keys);
  // An admin read waits for the rows recorded before it, boundedly (see LedgerWriter.flushForRead).
  const flushForRead = () => writer.flushForRead(o.ledgerReadWaitMs ?? LEDGER_READ_WAIT_MS);
  const policy = o.policy ? await startPolicy(o.policy, o.storage, o.price, { ledger: () => writer.flush(), read: flushForRead }, o.log) : undefined;
  policy?.enforcer.settleRecovered(ledger.recovered);
  const anomalies = o.anomalies ? await startAnomalies({ ...o.anomalies, cursor: arrivals }, o.storage, () => writer.flush(), o.log) : undefined;
  const agent = createAgent(o.timeouts, o.proxies);
  const router = await startRouter(o.routing, o.log);
  const inFlight = new InFlight();
  let sweeps: DeferredUsageSweep[] = [];
  const deferredWaiting = () => Object.fromEntries(sweeps.map((s) => [s.api, s.waiting]));
  // Only with the admin API on: `/metrics` is read with its token, and unread counters would cost every
  // request. Loaded only then too: prom-client is half a megabyte of heap.
  const metrics = o.adminToken ? new (await import('./metrics/gateway-metrics.js')).GatewayMetrics({ ledgerPending: () => writer.pending, inFlight: () => inFlight.size, deferredWaiting, openConnections: () => openConnections(server) }) : undefined;
  // Spend learned after its request's row was written (background responses, batch results): priced, charged, counted.
  const settled = {
    ledger: o.storage.ledger,
    price: o.price,
    charge: policy ? (spend: SettledSpend) => policy.enforcer.chargeSettled(spend) : undefined,
    observe: metrics ? (row: LedgerRow) => metrics.observeSettled(row) : undefined,
    log: o.log,
  };
  const catalogOf = (name: string) => o.providers.byName(name)?.catalog;
  const background = new BackgroundUsage({ ...settled, catalogOf });
  const openaiBatchOf = openaiBatchOfFile({ agent, providers: o.providers, ledger: o.storage.ledger, maxAgeMs: o.deferredUsage?.maxAgeMs ?? DEFAULTS.deferredMaxAgeMs });
  const objects = new ObjectOwners({ mode: o.auth.storedObjects ?? 'team', store: o.storage.objects, log: o.log });
  const batchResults = new BatchResultRows({ ...settled, catalogOf, openaiBatchOf, flush: flushForRead, madeFor: (batch, ids, api) => objects.madeFor(batch, ids, api) });
  sweeps = startSweeps(o, { agent, router, background, batchResults });
  // Set when shutdown cuts the connections still open once the drain time is up.
  let cut = false;
  const throttle = o.adminToken ? adminThrottle(o.adminFailures ?? DEFAULT_THROTTLE, o.log) : undefined;
  const gatewayDeps: GatewayDeps = {
    providers: o.providers,
    keys,
    auth: { ...o.auth, adminToken: o.adminToken, throttle },
    price: o.price,
    ledger: gatewayLedger(writer, metrics, policy),
    agent,
    // Loaded only with a proxy: most gateways never tunnel a WebSocket.
    webSocketAgent: o.proxies ? (await import('./egress/web-socket-agent.js')).webSocketAgents(o.proxies) : undefined,
    maxBodyBytes: o.maxBodyBytes,
    firstByteMs: o.timeouts.firstByteMs,
    maxUploadBytes: o.maxUploadBytes,
    unverifiedBodies: new BodyRoom(o.unverifiedBodiesBytes ?? 4 * o.maxBodyBytes, o.maxBodyBytes, o.unverifiedBodiesPerAddressBytes),
    log: o.log,
    open: ledger.open,
    policy: policy?.enforcer,
    router,
    // Compiled once here; with no rules the gateway skips rule evaluation altogether.
    rules: o.routingRules?.length ? new RuleRouter(o.routingRules) : undefined,
    cache: o.cache,
    cutByShutdown: () => cut,
    backgroundUsage: (r) => background.finished(r),
    batchResults: (f) => batchResults.downloaded(f),
    objects,
  };
  const gateway = createGateway(gatewayDeps);
  const sockets = onDemandSocketGateway(gatewayDeps);
  let closing = false;
  // This server's own addresses join the configured ones once it listens (port 0 is chosen then).
  let gateways: readonly GatewayAddress[] = o.telemetry?.gatewayAddresses ?? [];
  const otlp = {
    gateways: () => gateways,
    keys,
    adminToken: o.adminToken,
    throttle,
    anonymous: o.auth.anonymous,
    price: o.price,
    ledger: writer,
    points: o.storage.telemetry,
    maxBodyBytes: o.maxBodyBytes,
    log: o.log,
  };
  const server = createHttpServer({
    otlp: o.telemetry?.enabled === false ? undefined : (req, res, signal) => handleOtlp(otlp, req, res, signal),
    gateway,
    admin: { storage: o.storage, keys, token: o.adminToken, throttle, flush: flushForRead, policy, cachePrice: rowPricer(o.price, (name) => o.providers.byName(name)?.catalog), importPrice: importPricer(o.price, catalogOf), rates: o.anomalies?.rates, routing: router, focus: o.focus, providers: o.providers.all, objects },
    ready: () => Promise.resolve(!closing),
    closing: () => closing,
    log: o.log,
    inFlight,
    metrics,
    cors: o.cors,
    upgrade: (req, socket, head) => sockets.upgrade(req, socket, head),
    tls,
    requestTimeoutMs: o.requestTimeoutMs,
    maxConnections: o.maxConnections,
    trustedProxies: o.trustedProxies ? new TrustedProxies(o.trustedProxies.addresses, o.trustedProxies.header) : undefined,
  });
  const closeUnused = unusedConnections(server);
  await listenOn(server, o.port, o.host);
  const port = (server.address() as AddressInfo).port;
  gateways = [...gateways, ...ownAddresses(o.host, port)];
  const url = `${tls ? 'https' : 'http'}://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;

  return {
    url,
    port,
    storage: o.storage,
    gateway,
    policy,
    router,
    anomalies,
    flush: () => writer.flush(),
    reloadTls() {
      if (!o.tls || !('setSecureContext' in server)) throw new TlsSetupError('server.tls is not set: the gateway serves plain HTTP');
      server.setSecureContext(loadTls(o.tls));
    },
    async close() {
      if (closing) return;
      closing = true;
      // Idle keep-alive connections closed now, while the listener still takes new ones: a client sending on one as the listener closes would meet a reset.
      server.closeIdleConnections();
      // Not ready from now on, but still serving: a load balancer that probes /readyz stops sending first.
      if (o.shutdownDelayMs) await new Promise((r) => setTimeout(r, o.shutdownDelayMs));
      ledger.stopWatching();
      const started = Date.now();
      const serving = inFlight.size;
      const drained = new Promise<void>((ok) => server.close(() => ok()));
      server.closeIdleConnections();
      closeUnused();
      sockets.drain();
      // A response that ends during the drain leaves its keep-alive connection open and idle, which server.close() would wait out.
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      let unfinished = 0;
      const timer = setTimeout(() => {
        cut = true;
        unfinished = inFlight.size;
        server.closeAllConnections();
        sockets.closeAll();
      }, o.drainMs ?? 10_000);
      await drained;
      clearTimeout(timer);
      clearInterval(idle);
      const drain = cut ? `${unfinished} cut when the drain time (${o.drainMs ?? 10_000} ms) ran out, recorded truncated (gateway_shutdown)` : 'none cut';
      o.log.info(`shutdown drained the requests in flight: ${serving} when it began, ${drain}`, { ms: Date.now() - started });
      sockets.closeAll();
      // A closed connection's request may still be recording its row (an upstream being aborted).
      if (!(await inFlight.idle(SETTLE_MS))) o.log.warn('requests still unfinished at shutdown; their rows go to the spool', { requests: inFlight.size });
      await anomalies?.stop();
      await Promise.all(sweeps.map((x) => x.close()));
      await background.close();
      await batchResults.close();
      await objects.flush().catch(() => undefined);
      objects.close();
      // Storage down at shutdown: its rows stay in the spool for the next start, and the rest must
      // still close (a failure here left the policy reload and the pool running: no exit, ever).
      await writer.close().catch((err: unknown) => o.log.warn('storage did not take every row at shutdown; they stay in the spool for the next start', { err: String(err) }));
      await policy?.close();
      await router?.close();
      await o.policy?.alerts.close(5000);
      await ledger.worker?.close();
      await agent.close();
      await o.storage.close();
      ledger.open.close();
    },
  };
}

/**
 * The writer, with each gateway row also counted in the metrics (telemetry rows are not gateway
 * traffic), and a Responses row (a Gemini cache's creation) remembered for the budget estimates of
 * its follow-ups (the requests that name it).
 */
function gatewayLedger(writer: LedgerWriter, metrics: GatewayMetrics | undefined, remember: { responses: ResponseContexts; caches: GeminiCaches } | undefined): GatewayDeps['ledger'] {
  if (!metrics && !remember) return writer;
  return {
    record(row) {
      writer.record(row);
      metrics?.observe(row);
      remember?.responses.remember(row);
      remember?.caches.remember(row);
    },
    afterJournal: (done) => writer.afterJournal(done),
  };
}

/** The admin token's throttle, its blocks said in the log at most every 30 seconds. */
function adminThrottle(settings: ThrottleSettings, log: Logger): AuthThrottle {
  const blocks = new RepeatedFailure(log);
  return new AuthThrottle(settings, {
    onBlock: (address, s) =>
      blocks.failed((l, unlogged) =>
        l.warn(`wrong admin tokens: ${address} refused for ${s.blockMs / 1000} s after ${s.limit} within ${s.windowMs / 1000} s (auth.admin_failures)`, unlogged > 0 ? { addresses_blocked_unlogged_since_last: unlogged } : {}),
      ),
  });
}

function openConnections(server: { getConnections(cb: (err: Error | null, count: number) => void): unknown }): Promise<number | undefined> {
  return new Promise((resolve) => server.getConnections((err, count) => resolve(err ? undefined : count)));
}

/** The router for configured routes; shared health is read from Redis in the background when configured. */
async function startRouter(o: RoutingOptions | undefined, log: Logger): Promise<Router | undefined> {
  if (!o || o.routes.length === 0) return undefined;
  // ioredis is loaded only for replicas that share health.
  const store = o.redisUrl ? new (await import('./routing/health-store/redis.js')).RedisHealthStore(o.redisUrl, o.redisPrefix) : undefined;
  const router = new Router(o.routes, o.health, { store, onError: (err) => log.debug('shared deployment health unavailable', { err: String(err) }) });
  router.start();
  return router;
}

/** The spool sits beside the SQLite file, or under ./.tollgate for Postgres. */
export function defaultSpoolDir(sqlitePath: string | undefined): string {
  if (sqlitePath && sqlitePath !== ':memory:') return join(dirname(resolve(sqlitePath)), 'spool');
  return resolve('.tollgate', 'spool');
}

/**
 * The sweeps that bill what a client started and never came back for: background responses
 * and batches (OpenAI), Message Batches (Anthropic), background interactions and batches (Gemini), each only when Tollgate holds a key for that
 * dialect to ask with (a key passed through is never kept).
 */
function startSweeps(o: AppOptions, x: { agent: Dispatcher; router: Router | undefined; background: BackgroundUsage; batchResults: BatchResultRows }): DeferredUsageSweep[] {
  const settings = o.deferredUsage;
  if (settings === undefined) return [];
  const deployments = o.routing?.routes.flatMap((r) => r.deployments) ?? [];
  const holdsKey = (dialect: Dialect, upstreams: readonly { dialect: Dialect; apiKey: string | undefined }[]) => upstreams.some((p) => p.dialect === dialect && p.apiKey !== undefined);
  const sweeps: DeferredUsageSweep[] = [];
  const { router } = x;
  const lookups = { agent: x.agent, providers: o.providers, deployment: router && ((id: string) => router.deployment(id)), attempts: (id: string) => o.storage.ledger.attempts(id), finished: (r: FinishedResponse) => x.background.finished(r) };
  for (const [dialect, api] of [['openai', 'openai.responses'], ['gemini', 'gemini.interactions']] as const) {
    if (holdsKey(dialect, [...o.providers.all, ...deployments])) sweeps.push(new DeferredUsageSweep({ ...settings, api, ledger: o.storage.ledger, poll: responsePoller(lookups, api), log: o.log }));
  }
  const batches = { agent: x.agent, providers: o.providers, ended: (row: LedgerRow, b: BatchResults) => x.batchResults.ended(row, b) };
  if (holdsKey('openai', o.providers.all)) sweeps.push(new DeferredUsageSweep({ ...settings, api: 'openai.batches', ledger: o.storage.ledger, poll: openaiBatchPoller(batches), log: o.log }));
  if (holdsKey('anthropic', o.providers.all)) sweeps.push(new DeferredUsageSweep({ ...settings, api: 'anthropic.batches', ledger: o.storage.ledger, poll: messageBatchPoller(batches), log: o.log }));
  if (holdsKey('gemini', o.providers.all)) sweeps.push(new DeferredUsageSweep({ ...settings, api: 'gemini.batches', ledger: o.storage.ledger, poll: geminiBatchPoller(batches), log: o.log }));
  for (const s of sweeps) s.start();
  return sweeps;
}
