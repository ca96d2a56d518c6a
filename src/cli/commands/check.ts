import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { type Config, configuredUpstreams } from '../../config/index.js';
import { errorMessage } from '../../core/errors.js';
import { withoutPassword } from '../../core/url-text.js';
import { within } from '../../core/within.js';
import { describeProxies, proxyFor, proxySettingsFromEnv } from '../../egress/proxy-settings.js';
import { type StorageFlags, addStorageFlags, loadCliConfig, openStorage } from '../context.js';
import { CommandError, type Io } from '../output.js';
import { downgradeNotices } from '../downgrade-notice.js';
import { unpricedNotices } from '../unpriced-notice.js';
import { tierNotices } from '../tier-notice.js';

interface CheckFlags extends StorageFlags {
  json?: boolean;
}

/** One line of the check: a part of the set-up, and how it went. */
interface Checked {
  part: string;
  ok: boolean;
  detail: string;
}

const REDIS_TIMEOUT_MS = 5000;
const NOTICES: ReadonlySet<string> = new Set(['pricing', 'providers', 'budgets']);

/**
 * `tollgate check`: the set-up a gateway would start with, tried part by part without serving:
 * the config, storage, Redis, the TLS files, the proxy, and each provider and route deployment
 * asked for its model list with the key Tollgate holds (no tokens spent), which providers would
 * be recorded without a cost, and which overrides drop a long-context tier. Exit code 1 when any fails.
 */
export function checkCommand(program: Command, io: Io): void {
  addStorageFlags(
    program
      .command('check')
      .description('Try the set-up without serving: config, storage, Redis, TLS files, proxy, and every provider with its key (lists models, spends no tokens)')
      .option('--json', 'print the checks as JSON'),
  ).action(async (flags: CheckFlags) => {
    const config = loadCliConfig(flags);
    const results: Checked[] = [{ part: 'config', ok: true, detail: config.source ? `read ${config.source}` : 'none: the built-in defaults' }];
    results.push(await checkStorage(config));
    if (config.redis) results.push(await checkRedis(config.redis));
    if (config.server.tls) results.push(await checkTls(config.server.tls));
    results.push(...(await checkUpstreams(config)));
    results.push(...(await checkProviderChoice(config)));
    results.push(...(await checkPricing(config)));
    results.push(...(await checkDowngrades(config)));
    if (flags.json) io.out(`${JSON.stringify(results)}\n`);
    else for (const r of results) io.out(`${r.ok ? 'ok  ' : 'FAIL'}  ${r.part}: ${r.detail}\n`);
    const failed = results.filter((r) => !r.ok).length;
    // The pricing, providers and budgets lines are notices, not checks: they never fail.
    if (failed > 0) throw new CommandError(`${failed} of ${results.filter((r) => !NOTICES.has(r.part)).length} checks failed`);
  });
}

/** Dialects whose every provider lists models, so that a model none matches goes to one that may not serve it: a notice, as `serve` gives at start. */
async function checkProviderChoice(config: Config): Promise<Checked[]> {
  const { unmatchedModelNotices } = await import('../../gateway/select-provider.js');
  return unmatchedModelNotices(config.providers).map((line) => ({ part: 'providers', ok: true, detail: line.replace(/^Providers: /, '') }));
}

/** Providers whose requests would be recorded without a cost, and overrides that drop a long-context tier: notices, as `serve` gives at start, not failures. */
async function checkPricing(config: Config): Promise<Checked[]> {
  const { catalogProviderFor, droppedTiers } = await import('../../pricing/index.js');
  const providers = config.providers.map((p) => ({ ...p, catalog: catalogProviderFor(p.baseUrl, p.catalog) }));
  return [
    ...unpricedNotices(providers, config.pricing.overrides).map((line) => ({ part: 'pricing', ok: true, detail: line.replace(/^Unpriced: /, 'unpriced: ') })),
    ...tierNotices(droppedTiers(config.pricing.overrides, providers)).map((line) => ({ part: 'pricing', ok: true, detail: line.replace(/^Pricing: /, '') })),
  ];
}

/** Budgets (the file's, and those in storage when it opens) whose downgrade never applies: a notice, as `serve` gives at start. */
async function checkDowngrades(config: Config): Promise<Checked[]> {
  const [{ anthropicModel, catalogProviderFor, createPricer }, { providerTable }] = await Promise.all([import('../../pricing/index.js'), import('../../gateway/select-provider.js')]);
  const budgets = [...config.rules.budgets];
  const exists = config.storage.kind !== 'sqlite' || config.storage.path === ':memory:' || existsSync(config.storage.path);
  if (exists) {
    try {
      const storage = await openStorage(config);
      try {
        budgets.push(...(await storage.policy.listBudgets()));
      } finally {
        await storage.close();
      }
    } catch {
      // The storage line says what is wrong with it.
    }
  }
  const providers = providerTable(config.providers.map((p) => ({ ...p, catalog: catalogProviderFor(p.baseUrl, p.catalog) })), { anthropicModel });
  return downgradeNotices(budgets, providers, createPricer(config.pricing), new Date()).map((line) => ({ part: 'budgets', ok: true, detail: line.replace(/^Budgets: /, '') }));
}

async function checkStorage(config: Config): Promise<Checked> {
  const where = config.storage.kind === 'sqlite' ? `SQLite at ${config.storage.path}` : 'Postgres';
  // A check makes nothing: the gateway creates the file at its first start.
  if (config.storage.kind === 'sqlite' && config.storage.path !== ':memory:' && !existsSync(config.storage.path)) {
    return { part: 'storage', ok: true, detail: `${where} does not exist yet; tollgate serve creates it` };
  }
  try {
    const storage = await openStorage(config);
    try {
      await storage.ledger.ping();
      storage.checkWritable?.();
    } finally {
      await storage.close();
    }
    return { part: 'storage', ok: true, detail: `${where} opens, its schema current (migrated now if it was not, as serve would)` };
  } catch (err) {
    return { part: 'storage', ok: false, detail: `${where}: ${errorMessage(err)}` };
  }
}

async function checkRedis(url: string): Promise<Checked> {
  const { Redis } = await import('ioredis');
  // One try, no reconnecting: a check must end, answered or not.
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // The socket's own error (ECONNREFUSED, ENOTFOUND) says more than connect's "Connection is closed".
  let cause: Error | undefined;
  redis.on('error', (err: Error) => (cause ??= err));
  try {
    await within(redis.connect(), REDIS_TIMEOUT_MS, `no answer within ${REDIS_TIMEOUT_MS / 1000} s`);
    await within(redis.ping(), REDIS_TIMEOUT_MS, `no answer within ${REDIS_TIMEOUT_MS / 1000} s`);
    return { part: 'redis', ok: true, detail: `${redisShown(url)} answers` };
  } catch (err) {
    return { part: 'redis', ok: false, detail: `${redisShown(url)}: ${errorMessage(cause ?? err)}` };
  } finally {
    redis.disconnect();
  }
}

/** A Redis URL with its password hidden (the config has checked that it parses). */
const redisShown = (url: string): string => withoutPassword(new URL(url));

async function checkTls(files: { cert: string; key: string }): Promise<Checked> {
  const { loadTls } = await import('../../server/tls.js');
  try {
    loadTls(files);
    return { part: 'tls', ok: true, detail: `${files.cert} and ${files.key} load` };
  } catch (err) {
    return { part: 'tls', ok: false, detail: errorMessage(err) };
  }
}

/** Each provider and route deployment, all at once, through the proxy the environment names. */
async function checkUpstreams(config: Config): Promise<Checked[]> {
  const { createAgent } = await import('../../gateway/upstream.js');
  const { checkUpstream } = await import('../../gateway/provider-check.js');
  let proxies;
  try {
    proxies = proxySettingsFromEnv(process.env);
  } catch (err) {
    return [{ part: 'proxy', ok: false, detail: errorMessage(err) }];
  }
  const agent = createAgent({ connectMs: config.server.connectTimeoutMs, firstByteMs: config.server.firstByteTimeoutMs, idleMs: config.server.idleTimeoutMs }, proxies);
  try {
    const checked = await Promise.all(
      configuredUpstreams(config).map(async (u) => {
        const proxy = proxies ? proxyFor(proxies, u.baseUrl) : undefined;
        const c = await checkUpstream(agent, u, { proxy: proxy?.shown });
        // A failure on the way names the proxy itself (upstreamFailure).
        return { part: `${u.kind} ${u.name}`, ok: c.ok, detail: `${c.detail}${c.ok && proxy ? `, through ${proxy.shown}` : ''}` };
      }),
    );
    return [...(proxies ? [{ part: 'proxy', ok: true, detail: describeProxies(proxies) }] : []), ...checked];
  } finally {
    await agent.close();
  }
}
