import type { Command } from 'commander';
import { type Dimension, isDimension, repeatedDimension } from '../../core/ledger-row.js';
import { runReport } from '../../reports/report.js';
import { renderCsv, renderJson, renderTable } from '../../reports/render.js';
import { renderRuleCsv, renderRuleJson, renderRuleTable, runRuleReport } from '../../reports/rule-report.js';
import { type StorageFlags, addStorageFlags, parseWindowToNow, withStorage } from '../context.js';
import { type Io, UsageError } from '../output.js';

interface ReportFlags extends StorageFlags {
  since?: string;
  until?: string;
  by: string[];
  format: string;
}

export function reportCommand(program: Command, io: Io): void {
  addStorageFlags(
    program
      .command('report')
      .description('Spend, tokens, cache-read share and errors, grouped')
      .option('--since <time>', 'start: 30m, 24h, 7d, a date or an ISO timestamp', '7d')
      .option('--until <time>', 'end (exclusive); default now')
      .option('--by <dimension...>', 'group by user, team, project, model, provider, client, session, day, hour, api, key, pool or tag:NAME; or rule alone (routing rules)', [])
      .option('--format <format>', 'table, json or csv', 'table'),
  ).action((flags: ReportFlags) =>
    withStorage(flags, async (storage) => {
      const by = flags.by.flatMap((b) => b.split(',')).map((b) => b.trim()).filter(Boolean);
      if (!['table', 'json', 'csv'].includes(flags.format)) throw new UsageError('report: --format must be table, json or csv');
      const twice = repeatedDimension(by);
      if (twice) throw new UsageError(`report: --by ${twice} is given twice; name each dimension once`);
      if (by.includes('rule')) {
        if (by.length > 1) throw new UsageError('report: --by rule cannot be combined with other dimensions');
        const r = await runRuleReport(storage.ledger, parseWindowToNow(flags));
        io.out(flags.format === 'json' ? renderRuleJson(r) : flags.format === 'csv' ? renderRuleCsv(r) : renderRuleTable(r));
        return;
      }
      const bad = by.find((b) => !isDimension(b));
      if (bad) throw new UsageError(`report: cannot group by "${bad}" (use user, team, project, model, provider, client, session, day, hour, api, key, pool, tag:NAME or rule)`);
      const report = await runReport(storage.ledger, { ...parseWindowToNow(flags), by: by as Dimension[] });
      io.out(flags.format === 'json' ? renderJson(report) : flags.format === 'csv' ? renderCsv(report) : renderTable(report));
    }, { read: true }),
  );
}
