import type { Command } from 'commander';
import { focusRecords } from '../../focus/charges.js';
import type { FocusRecord } from '../../focus/columns.js';
import { focusContext } from '../../focus/context.js';
import { writeFocusCsv } from '../../focus/csv.js';
import { csvHeader, toCsvLine, toJsonLine } from '../../reports/export.js';
import { type StorageFlags, addStorageFlags, parseWindow, withStorage } from '../context.js';
import { CommandError, type Io, UsageError, openOutputFile, outputFileError, writeOutputFile } from '../output.js';

interface ExportFlags extends StorageFlags {
  format: string;
  since?: string;
  until?: string;
  output?: string;
}

export function exportCommand(program: Command, io: Io): void {
  addStorageFlags(
    program
      .command('export')
      .description('Stream ledger rows as JSON lines or CSV, or a FOCUS 1.2 dataset (CSV, or Parquet with -o FILE.parquet)')
      .option('--format <format>', 'jsonl, csv or focus', 'jsonl')
      .option('--since <time>', 'start: 30m, 24h, 7d, a date or an ISO timestamp')
      .option('--until <time>', 'end (exclusive); default: none, every row from --since on')
      .option('-o, --output <file>', 'write to a file instead of stdout'),
  ).action((flags: ExportFlags) =>
    withStorage(flags, async (storage, config) => {
      if (flags.format !== 'jsonl' && flags.format !== 'csv' && flags.format !== 'focus') throw new UsageError('export: --format must be jsonl, csv or focus');
      // focus.PARQUET is a Parquet file too: CSV under that name fails in the tool it is loaded into.
      const parquet = flags.output !== undefined && /\.parquet$/i.test(flags.output);
      if (flags.format !== 'focus' && parquet) throw new UsageError('export: Parquet is written only with --format focus');
      const records = () => focusRecords(storage.ledger.scan(parseWindow(flags)), focusContext(config));
      if (flags.format === 'focus' && parquet) return writeParquet(records, flags.output!);
      const sink = flags.output ? openOutputFile(flags.output) : undefined;
      const write = async (text: string) => {
        if (!sink) return io.out(text);
        await sink.write(text);
      };
      if (flags.format === 'focus') await writeFocusCsv(records(), write).catch(told);
      else if (flags.format === 'csv') await write(csvHeader());
      if (flags.format !== 'focus')
        for await (const row of storage.ledger.scan(parseWindow(flags))) await write(flags.format === 'csv' ? toCsvLine(row) : toJsonLine(row));
      await sink?.close();
    }, { read: true }),
  );
}

/** The Parquet writer opens the file itself: a bad path is caught before the ledger is read, and a failure later is told as one line too. */
async function writeParquet(records: () => AsyncIterable<FocusRecord>, path: string): Promise<void> {
  writeOutputFile(path, '');
  const { writeFocusParquet } = await import('../../focus/parquet.js');
  try {
    await writeFocusParquet(records(), path);
  } catch (err) {
    throw (err as NodeJS.ErrnoException).syscall !== undefined ? outputFileError(path, err) : told(err);
  }
}

/** A row FOCUS cannot express (focusRecords says which) is one line, not a stack trace. */
function told(err: unknown): never {
  throw err instanceof RangeError ? new CommandError(`export: ${err.message}`) : err;
}
