import type { Command } from 'commander';
import { type GroupFilter, explain, explanationJson, explanationTable, groupFilterOf } from '../../explain/explain.js';
import { type Window, checkWindowOrder, parseWindowSpec } from '../../explain/windows.js';
import { type StorageFlags, addStorageFlags, withStorage } from '../context.js';
import { type Io, UsageError, parsedInput } from '../output.js';
import { configRateBook } from '../rates.js';
import { renderTable } from '../table.js';

interface ExplainFlags extends StorageFlags, Partial<Record<GroupFilter['field'], string>> {
  from: string;
  to: string;
  format: string;
}

export function explainCommand(program: Command, io: Io): void {
  addStorageFlags(
    program
      .command('explain')
      .description('Why spend changed between two windows: drivers ranked by dollars, adding up exactly to the change')
      .option('--from <window>', 'the earlier window: START..END (or START/END), or today, yesterday, this-week, last-week, this-month, last-month, last-7d, prev-7d', 'last-week')
      .option('--to <window>', 'the later window, written the same way', 'this-week')
      .option('--user <user>', "one user's spend alone")
      .option('--team <team>', "one team's spend alone")
      .option('--model <model>', "one model's spend alone")
      .option('--provider <provider>', "one provider's spend alone")
      .option('--client <client>', "one client's spend alone (claude-code, codex, …)")
      .option('--workflow <workflow>', "one workflow's spend alone (the workflow tag)")
      .option('--format <format>', 'table or json', 'table'),
  ).action((flags: ExplainFlags) =>
    withStorage(flags, async (storage, config) => {
      if (flags.format !== 'table' && flags.format !== 'json') throw new UsageError(`explain: --format must be table or json, not "${flags.format}"`);
      // One clock for both: prev-2w and last-2w must meet, not leave the milliseconds between two reads of it.
      const now = Date.now();
      const from = window('--from', flags.from, now);
      const to = window('--to', flags.to, now);
      parsedInput(() => checkWindowOrder(from, to, ['--from', '--to']), (p) => `explain: ${p}`);
      const only = parsedInput(() => groupFilterOf((field) => flags[field]), (p) => `explain: ${p}`);
      const e = await explain(storage.ledger, from, to, configRateBook(config), now, only);
      if (flags.format === 'json') return io.out(JSON.stringify(explanationJson(e), null, 2) + '\n');
      const { rows, notes } = explanationTable(e);
      io.out(`${e.summary}\n\n${renderTable(['driver', 'change', 'what moved'], rows, [1])}${notes}`);
    }, { read: true }),
  );
}

function window(flag: string, text: string, now: number): Window {
  return parsedInput(() => parseWindowSpec(text, now), (p) => `explain: ${flag}: ${p}`);
}
