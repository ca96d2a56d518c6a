import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { type Config, configuredUpstreams } from '../../config/index.js';
import { errorMessage } from '../../core/errors.js';
import { withoutPassword } from '../../core/url-text.js';
import { within } from '../../core/within.js';
import { describeProxies, proxyFor, proxySettingsFromEnv } from '../../egress/proxy-settings.js';
import { type StorageFlags, addStorageFlags, loadCliConfig, openStorage } from '../context.js';
import { CommandError, type Io } from '../output.js';
import { setupProblem } from '../startup-error.js';
import { downgradeNotices } from '../downgrade-notice.js';
import { unpricedNotices } from '../unpriced-notice.js';
import { tierNotices } from '../tier-notice.js';

interface CheckFlags extends StorageFlags {
  json?: boolean;
  host?: string;
  port?: string;
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
 * the config, storage, the spool folder, Redis, the TLS files, the address to listen on, the proxy, and each provider and route deployment
 * asked for its model list with the key Tollgate holds (no tokens spent), which providers would
 * be recorded without a cost, and which overrides drop a long-context tier. Exit code 1 when any fails.
 */
export function checkCommand(program: Command, io: Io): void {
  addStorageFlags(
    program
      .command('check')
      .description('Try the set-up without serving: config, storage, spool folder, Redis, TLS files, the address to listen on, proxy, and every provider with its key (lists models, spends no tokens)')
      .option('--json', 'print the checks as JSON')
      .option('--port <port>', 'the port serve would listen on (as serve --port)')
      .option('--host <host>', 'the address serve would listen on (as serve --host)'),
  ).action(async (flags: CheckFlags) => {
    const config = loadCliConfig(flags);
    const results: Checked[] = [{ part: 'config', ok: true, detail: config.source ? `read ${config.source}` : 'none: the built-in defaults' }];
    results.push(await checkStorage(config));
    results.push(await checkSpool(config.storage.spoolDir));
    if (config.redis) results.push(await checkRedis(config.redis));
    if (config.server.tls) results.push(await checkTls(config.server.tls));
    results.push(await checkListen(config.server.host, config.server.port));
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
  const [{ catalogPrices, catalogProviderFor, createPricer }, { providerTable }] = await Promise.all([import('../../pricing/index.js'), import('../../gateway/select-provider.js')]);
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
  const providers = providerTable(config.providers.map((p) => ({ ...p, catalog: catalogProviderFor(p.baseUrl, p.catalog) })), { catalogPrices });
  return downgradeNotices(budgets, providers, createPricer(config.pricing), new Date()).map((line) => ({ part: 'budgets', ok: true, detail: line.replace(/^Budgets: /, '') }));
}

async function checkStorage(config: Config): Promise<Checked> {
  const where = config.storage.kind === 'sqlite' ? `SQLite at ${config.storage.path}` : 'Postgres';
  // A check makes nothing: the gateway creates the file at its first start, where its folder can be made and written.
  if (config.storage.kind === 'sqlite' && config.storage.path !== ':memory:' && !existsSync(config.storage.path)) {
    const { checkCreatable } = await import('../../storage/sqlite/db.js');
    try {
      checkCreatable(config.storage.path);
    } catch (err) {
      return { part: 'storage', ok: false, detail: `${where}: ${errorMessage(err)}` };
    }
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

/** The spool folder, as the gateway's Spool would take it at start, made or not (nothing is made). */
async function checkSpool(dir: string): Promise<Checked> {
  const { checkSpoolDir } = await import('../../metering/spool.js');
  try {
    checkSpoolDir(dir);
    return { part: 'spool', ok: true, detail: `${dir} can be written${existsSync(dir) ? '' : ' (tollgate serve creates it)'}` };
  } catch (err) {
    return { part: 'spool', ok: false, detail: errorMessage(err) };
  }
}

/** The address and port, listened on and let go at once, as serve listens; its error in serve's words. */
async function checkListen(host: string, port: number): Promise<Checked> {
  const { tryListen } = await import('../../server/listen.js');
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  try {
    await tryListen(port, host);
    return { part: 'listen', ok: true, detail: port === 0 ? `${host} can be listened on (port 0: a free port is picked at start)` : `${where} is free to listen on` };
  } catch (err) {
    return { part: 'listen', ok: false, detail: setupProblem(err) ?? `${where}: ${errorMessage(err)}` };
  }
}

async function checkRedis(url: string): Promise<Checked> {
  const [{ Redis }, { DatabaseWatch }] = await Promise.all([import('ioredis'), import('../../policy/counters/redis-database.js')]);
  // One try, no reconnecting: a check must end, answered or not.
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // A database Redis refuses (past its 16) is only an 'error' event, and PING answers in database 0: serve refuses to start on it.
  const database = new DatabaseWatch(redis, REDIS_TIMEOUT_MS);
  // The socket's own error (ECONNREFUSED, ENOTFOUND) says more than connect's "Connection is closed".
  let cause: Error | undefined;
  redis.on('error', (err: Error) => (cause ??= err));
  try {
    await within(redis.connect(), REDIS_TIMEOUT_MS, `no answer within ${REDIS_TIMEOUT_MS / 1000} s`);
    await within(redis.ping(), REDIS_TIMEOUT_MS, `no answer within ${REDIS_TIMEOUT_MS / 1000} s`);
    if (database.refused) return { part: 'redis', ok: false, detail: database.refused.message.replace(/^redis: /, '') };
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
