import type { Command } from 'commander';
import { CACHE_GROUP_BY, type CacheGroupBy } from '../../cache-analysis/analyse.js';
import { renderCacheJson, renderCacheTable, rowPricer, runCacheReport } from '../../cache-analysis/report.js';
import { catalogProviderFor, createPricer } from '../../pricing/index.js';
import { type StorageFlags, addStorageFlags, parseWindow, withStorage } from '../context.js';
import { type Io, UsageError } from '../output.js';
import { progressBar } from '../progress.js';

interface CacheReportFlags extends StorageFlags {
  since?: string;
  until?: string;
  by: string;
  format: string;
}

export function cacheReportCommand(program: Command, io: Io): void {
  addStorageFlags(
    program
      .command('cache-report')
      .description('Prompt-cache findings ranked by dollars: drift, wasted writes, TTL and breakpoints')
      .option('--since <time>', 'start: 30m, 24h, 7d, a date or an ISO timestamp', '7d')
      .option('--until <time>', 'end (exclusive); default now')
      .option('--by <dimension>', 'group by workflow (the workflow tag), key, model or session', 'workflow')
      .option('--format <format>', 'table or json', 'table'),
  ).action((flags: CacheReportFlags) => {
    if (!(CACHE_GROUP_BY as readonly string[]).includes(flags.by)) throw new UsageError(`cache-report: --by must be workflow, key, model or session, not "${flags.by}"`);
    if (flags.format !== 'table' && flags.format !== 'json') throw new UsageError(`cache-report: --format must be table or json, not "${flags.format}"`);
    const window = parseWindow(flags);
    if (window.since !== undefined && window.since >= (window.until ?? Date.now())) throw new UsageError('cache-report: --since must be before --until (now, when --until is not given)');
    return withStorage(flags, async (storage, config) => {
      const catalogs = new Map(config.providers.map((p) => [p.name, catalogProviderFor(p.baseUrl, p.catalog)]));
      const pricer = createPricer(config.pricing);
      const until = window.until ?? Date.now();
      // A month of a busy ledger takes minutes: show how far into the window the rows have reached.
      const bar = progressBar('cache-report', process.stderr, (done, total) => `of the window read, through ${new Date(until - total + done).toISOString().slice(0, 16).replace('T', ' ')} UTC`);
      const report = await runCacheReport(storage.ledger, { since: window.since, until, by: flags.by as CacheGroupBy, price: rowPricer(pricer, (name) => catalogs.get(name)), progress: (done, total) => bar.update(done, total) });
      bar.end();
      io.out(flags.format === 'json' ? renderCacheJson(report) : renderCacheTable(report));
    }, { read: true });
  });
}
