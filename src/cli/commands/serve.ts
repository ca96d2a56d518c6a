import type { Command } from 'commander';
import type { PolicyOptions } from '../../app-policy.js';
import { type Config, configuredUpstreams } from '../../config/index.js';
import type { Logger } from '../../core/logger.js';
import { catalogPrices, catalogProviderFor, createPricer, droppedTiers, rateBook } from '../../pricing/index.js';
import { lacksProviderKey } from '../../gateway/provider-keys.js';
import { fetchThroughProxy } from '../../egress/fetch-proxy.js';
import { type ProxySettings, describeProxies, proxyFor, proxySettingsFromEnv } from '../../egress/proxy-settings.js';
import { webhookSink } from '../alerts.js';
import type { Storage } from '../../storage/ports.js';
import { type StorageFlags, addStorageFlags, loadCliConfig, openStorage, storageSpec } from '../context.js';
import { jsonLogger } from '../logger.js';
import type { Io } from '../output.js';
import { ledgerCatalogs } from '../rates.js';
import { downgradeNotices } from '../downgrade-notice.js';
import { unpricedNotices } from '../unpriced-notice.js';
import { tierNotices } from '../tier-notice.js';
import { keylessNotice } from '../key-notice.js';

/** Long enough for another process's short commit; a longer hold fails the batch, retried later from the spool. */
const GATEWAY_LOCK_WAIT_MS = 20;

interface ServeFlags extends StorageFlags {
  host?: string;
  port?: string;
}

export function serveCommand(program: Command, io: Io): void {
  addStorageFlags(
    program
      .command('serve')
      .description('Run the gateway (SQLite and the public provider endpoints unless a config says otherwise)')
      .option('--port <port>', 'port to listen on (default 8790)')
      .option('--host <host>', 'address to listen on (default 127.0.0.1)'),
  ).action(async (flags: ServeFlags) => {
    // Loaded here, not with the CLI: the gateway's modules (undici among them) would cost every other command their start-up.
    const [{ startTollgate }, { providerTable, unmatchedModelNotices }] = await Promise.all([import('../../app.js'), import('../../gateway/select-provider.js')]);
    const config = loadCliConfig(flags);
    // Read first: a proxy variable that cannot be used stops the start with its name.
    const proxies = proxySettingsFromEnv(process.env);
    await fetchThroughProxy();
    const log = jsonLogger(config.log.level);
    // Another process holding SQLite's write lock (an import) must not stall the event loop.
    const storage = await openStorage(config, { insertLockWaitMs: GATEWAY_LOCK_WAIT_MS });
    // Said now, in one line naming the file, not at the first row (or as a stack trace while replaying the spool).
    try {
      storage.checkWritable?.();
    } catch (err) {
      await storage.close();
      throw err;
    }
    const policy = policyOptions(config, log, storage);
    const pricer = createPricer(config.pricing);
    const providers = config.providers.map((p) => ({ ...p, catalog: catalogProviderFor(p.baseUrl, p.catalog), keyRequired: isHostedApi(p.baseUrl) }));
    const catalogs = ledgerCatalogs(providers);
    const app = await startTollgate({
      host: config.server.host,
      port: config.server.port,
      storage,
      ledgerWorker: config.storage.writer === 'thread' ? storageSpec(config) : undefined,
      ledgerReadWaitMs: config.storage.kind === 'postgres' ? config.storage.timeouts.queryTimeoutMs : undefined,
      spoolDir: config.storage.spoolDir,
      providers: providerTable(providers, { catalogPrices }),
      auth: { passthrough: config.auth.passthrough, anonymous: config.auth.anonymous, storedObjects: config.auth.storedObjects },
      adminFailures: config.auth.adminFailures,
      price: pricer,
      maxBodyBytes: config.server.maxBodyBytes,
      maxUploadBytes: config.server.maxUploadBytes,
      unverifiedBodiesBytes: config.server.unverifiedBodiesBytes,
      unverifiedBodiesPerAddressBytes: config.server.unverifiedBodiesPerAddressBytes,
      requestTimeoutMs: config.server.requestTimeoutMs,
      shutdownDelayMs: config.server.shutdownDelayMs,
      maxConnections: config.server.maxConnections,
      trustedProxies: config.server.trustedProxies,
      focus: async () => (await import('../../focus/context.js')).focusContext(config),
      proxies,
      tls: config.server.tls,
      timeouts: { connectMs: config.server.connectTimeoutMs, firstByteMs: config.server.firstByteTimeoutMs, idleMs: config.server.idleTimeoutMs },
      adminToken: process.env.TOLLGATE_ADMIN_TOKEN || undefined,
      log,
      policy,
      routing: { routes: config.routing.routes.map((r) => ({ ...r, deployments: r.deployments.map((d) => ({ ...d, catalog: catalogProviderFor(d.baseUrl, d.catalog), keyRequired: isHostedApi(d.baseUrl) })) })), health: config.routing.health, redisUrl: config.redis, redisPrefix: `${config.policy.keyPrefix}health:` },
      routingRules: config.routingRules,
      cache: config.cache,
      anomalies: {
        settings: config.anomalies,
        rates: rateBook(pricer, catalogs),
        alerts: policy.alerts,
        links: { publicUrl: config.alerts.publicUrl, secret: config.alerts.signingSecret, showAmounts: config.policy.showAmounts },
        // An in-memory SQLite cannot be reopened by another process.
        remote: config.storage.kind === 'sqlite' && config.storage.path === ':memory:' ? undefined : { storage: storageSpec(config) },
      },
      telemetry: config.telemetry,
      deferredUsage: config.deferredUsage,
      cors: config.server.cors,
    }).catch(async (err: unknown) => {
      await policy.alerts.close(0);
      await storage.close();
      throw err;
    });
    // A bug in one request must not take the gateway (and everyone's traffic) down.
    process.on('uncaughtException', (err) => log.error('uncaught exception', { err: err.stack ?? String(err) }));
    process.on('unhandledRejection', (err) => log.error('unhandled rejection', { err: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
    // Before the "listening" line: a supervisor that signals once it sees that line must get a drain, not the default kill.
    const stopped = new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        log.info('shutting down', { signal });
        app.close().then(resolve, (err: unknown) => {
          log.error('shutdown failed', { err: String(err) });
          resolve();
        });
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    const tls = config.server.tls;
    // A renewed certificate is taken without a restart (`kill -HUP`), as nginx and others do. Without
    // TLS a SIGHUP (a reload hook, logrotate, a closed terminal) must not stop the gateway, as Node's default would.
    process.on('SIGHUP', () => {
      if (!tls) return log.info('SIGHUP: nothing to reload without server.tls; still serving');
      try {
        app.reloadTls();
        log.info('reloaded server.tls: new connections get the certificate now in its files', { cert: tls.cert });
      } catch (err) {
        log.error(`${err instanceof Error ? err.message : String(err)}; still serving the certificate loaded before`);
      }
    });
    const where = config.storage.kind === 'sqlite' ? config.storage.path : 'postgres';
    io.out(`Tollgate listening on ${app.url} (storage: ${where}${config.source ? `, config: ${config.source}` : ''})\n`);
    if (process.env.TOLLGATE_ADMIN_TOKEN) io.out(`Dashboard: ${app.url}/ui (sign in with TOLLGATE_ADMIN_TOKEN)\n`);
    else io.out('Admin API and dashboard off: set TOLLGATE_ADMIN_TOKEN to enable /admin/v1 and /ui.\n');
    const keyless = keylessNotice(providers.filter(lacksProviderKey).map((p) => p.name), config.auth.passthrough);
    if (keyless) io.out(`${keyless}\n`);
    if (proxies) io.out(`${proxyLine(proxies, configuredUpstreams(config))}\n`);
    for (const line of translatedPastRoutes(config.routing.routes, providers)) io.out(`${line}\n`);
    for (const line of unmatchedModelNotices(providers)) io.out(`${line}\n`);
    for (const line of unpricedNotices(providers, config.pricing.overrides)) io.out(`${line}\n`);
    for (const line of tierNotices(droppedTiers(config.pricing.overrides, providers))) io.out(`${line}\n`);
    const budgets = [...config.rules.budgets, ...(await storage.policy.listBudgets())];
    for (const line of downgradeNotices(budgets, providerTable(providers, { catalogPrices }), pricer, new Date())) io.out(`${line}\n`);
    await stopped;
  });
}

/** Where outbound requests go, and which providers (and route deployments) that sends through a proxy. */
function proxyLine(s: ProxySettings, upstreams: readonly { name: string; baseUrl: string }[]): string {
  const names = (through: boolean) => [...new Set(upstreams.filter((u) => (proxyFor(s, u.baseUrl) !== undefined) === through).map((u) => u.name))].join(', ') || 'none';
  return `Proxy: ${describeProxies(s)}. Providers through it: ${names(true)}; direct: ${names(false)}.`;
}

/** Spend controls are always on: without rules they admit everything, and the admin API can add rules. */
function policyOptions(config: Config, log: Logger, storage: Storage): PolicyOptions {
  const { publicUrl, signingSecret } = config.alerts;
  return {
    settings: config.policy,
    rules: config.rules,
    redisUrl: config.redis,
    alerts: webhookSink(config, log, storage.alertOutbox),
    signedLinks: publicUrl && signingSecret ? { secret: signingSecret, publicUrl } : undefined,
  };
}

/** Whether the price catalog knows the URL as a hosted provider API (OpenAI, Anthropic, Gemini, Groq, Mistral, …), all of which want a key. */
export function isHostedApi(baseUrl: string): boolean {
  return catalogProviderFor(baseUrl, undefined) !== undefined;
}

/**
 * Routes with a deployment on a provider that translates (`translate_from`): requests of the
 * other dialect reach that provider without the route (no retries, failover or fallbacks).
 */
export function translatedPastRoutes(routes: readonly { model: string; deployments: readonly { provider: string }[] }[], providers: readonly { name: string; translateFrom?: readonly string[] }[]): string[] {
  const lines: string[] = [];
  for (const r of routes) {
    const names = [...new Set(r.deployments.map((d) => d.provider))];
    for (const p of providers.filter((x) => names.includes(x.name) && (x.translateFrom?.length ?? 0) > 0)) {
      lines.push(`Routes: ${p.translateFrom!.join(' and ')} requests translated for provider "${p.name}" go to it directly, without route "${r.model}"'s retries, failover and fallbacks (docs/translation.md#routes).`);
    }
  }
  return lines;
}

