import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { renderStatementCsv, renderStatementJson, renderStatementTable } from '../../chargeback/render.js';
import { chargeback, monthBounds } from '../../chargeback/statement.js';
import { isDimension } from '../../core/ledger-row.js';
import { type StorageFlags, addStorageFlags, withStorage } from '../context.js';
import { type Io, UsageError, outputFormat, parsedInput, toStdout, writeOutputFile } from '../output.js';

interface ChargebackFlags extends StorageFlags {
  month?: string;
  by: string;
  format?: string;
  output?: string;
}

/** `tollgate chargeback --month 2026-10`: a per-team statement for the month in the policy time zone. */
export function chargebackCommand(program: Command, io: Io): void {
  addStorageFlags(
    program
      .command('chargeback')
      .description("A month's statement per team (or user, project, key, tag:NAME): spend, share, requests, tokens, top models, pools that paid")
      .option('--month <YYYY-MM>', 'the month, in the policy time zone (policy.time_zone); default: the last complete month')
      .option('--by <dimension>', 'team, user, project, key, client or tag:NAME', 'team')
      .option('--format <format>', 'table, csv or json (default: what the -o file\'s extension says, .csv or .json; else table)')
      .option('-o, --output <file>', 'write to a file instead of stdout (- for stdout)'),
  ).action((flags: ChargebackFlags) =>
    withStorage(flags, async (storage, config) => {
      if (!isDimension(flags.by) || ['day', 'hour', 'session', 'model', 'pool', 'api', 'provider'].includes(flags.by)) throw new UsageError(`--by: a statement is per team, user, project, key, client or tag:NAME, not "${flags.by}"`);
      if (flags.format !== undefined && !['table', 'csv', 'json'].includes(flags.format)) throw new UsageError('--format must be table, csv or json');
      const file = toStdout(flags.output) ? undefined : flags.output;
      const format = outputFormat('chargeback', flags.format, file, { '.csv': ['csv'], '.json': ['json'] }, 'table');
      const month = flags.month?.trim() ?? lastMonth(Date.now(), config.policy.timeZone);
      parsedInput(() => monthBounds(month, config.policy.timeZone), (p) => `--month: ${p}`);
      const s = await chargeback(storage.ledger, { month, timeZone: config.policy.timeZone, by: flags.by });
      const text = format === 'json' ? renderStatementJson(s) : format === 'csv' ? renderStatementCsv(s) : renderStatementTable(s);
      if (file === undefined) return io.out(text);
      writeOutputFile(file, text);
      io.out(`Wrote the ${month} statement to ${file}.\n`);
    }, { read: true }),
  );
}

/** The month before the one `now` falls in, in `timeZone`, as YYYY-MM: the statement a month-end run wants. */
export function lastMonth(now: number, timeZone: string): string {
  return DateTime.fromMillis(now, { zone: timeZone }).startOf('month').minus({ months: 1 }).toFormat('yyyy-MM');
}
