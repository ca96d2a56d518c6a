import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import type { LedgerRow } from '../../core/ledger-row.js';
import { focusRecords } from '../../focus/charges.js';
import type { FocusRecord } from '../../focus/columns.js';
import { focusContext } from '../../focus/context.js';
import { writeFocusCsv } from '../../focus/csv.js';
import { artifactsWith, focusMetadata, metadataPathFor } from '../../focus/metadata.js';
import { csvHeader, toCsvLine, toJsonLine } from '../../reports/export.js';
import { type StorageFlags, addStorageFlags, parseWindow, withStorage } from '../context.js';
import { CommandError, type Io, UsageError, extensionOf, openOutputFile, outputFileError, outputFormat, toStdout, writeOutputFile } from '../output.js';

interface ExportFlags extends StorageFlags {
  format?: string;
  since?: string;
  until?: string;
  output?: string;
  metadata?: string;
}

/** What an output file's extension stands for: FOCUS is CSV too, and Parquet only FOCUS. */
const EXTENSIONS: Readonly<Record<string, readonly string[]>> = { '.csv': ['csv', 'focus'], '.jsonl': ['jsonl'], '.ndjson': ['jsonl'], '.parquet': ['focus'] };

export function exportCommand(program: Command, io: Io): void {
  addStorageFlags(
    program
      .command('export')
      .description('Stream ledger rows as JSON lines or CSV, or a FOCUS 1.2 dataset (CSV, or Parquet with -o FILE.parquet)')
      .option('--format <format>', 'jsonl, csv or focus (default: what the -o file\'s extension says, .csv, .jsonl or .parquet; else jsonl)')
      .option('--since <time>', 'start: 30m, 24h, 7d, a date or an ISO timestamp')
      .option('--until <time>', 'end (exclusive); default: none, every row from --since on')
      .option('-o, --output <file>', 'write to a file instead of stdout (- for stdout)')
      .option('--metadata <file>', 'FOCUS: write the schema metadata here (default: beside the -o file, NAME.metadata.json; with stdout, only when given)'),
  ).action((flags: ExportFlags) =>
    withStorage(flags, async (storage, config) => {
      if (flags.format !== undefined && flags.format !== 'jsonl' && flags.format !== 'csv' && flags.format !== 'focus') throw new UsageError('export: --format must be jsonl, csv or focus');
      const file = toStdout(flags.output) ? undefined : flags.output;
      const format = outputFormat('export', flags.format, file, EXTENSIONS, 'jsonl');
      if (flags.metadata !== undefined && format !== 'focus') throw new UsageError('export: --metadata describes a FOCUS dataset (--format focus)');
      // Before any file is opened: a mistyped --since must not leave an existing -o file (or its metadata) emptied.
      const bounds = parseWindow(flags);
      // FOCUS has no null cost: an unpriced request's rows say $0, so the terminal is told (as report's footnote does).
      let unpriced = 0;
      const counted = async function* (rows: AsyncIterable<LedgerRow>): AsyncGenerator<LedgerRow> {
        for await (const r of rows) {
          if (r.unpriced) unpriced++;
          yield r;
        }
      };
      const records = () => focusRecords(counted(storage.ledger.scan(bounds)), focusContext(config));
      const tellUnpriced = () => {
        if (unpriced > 0) io.err(`export: ${unpriced} request(s) used a model with no known price; FOCUS allows no null cost, so their rows carry their tokens at $0 (x_UnpricedRequests counts them), not what they cost. Add a pricing override (pricing.overrides in the config), or name the price list of a provider at its own address (providers[].catalog); see docs/pricing.md.\n`);
      };
      // FOCUS wants schema metadata for every dataset, apart from it (docs/finops.md).
      const metadata = format !== 'focus' ? undefined : (flags.metadata ?? (file === undefined ? undefined : metadataPathFor(file)));
      // Read before the check below empties it: the files it lists besides this one stay listed.
      const previous = metadata === undefined || file === undefined ? undefined : textOf(metadata);
      // A path that cannot be written fails before the ledger is read, as -o's does (and after it: -o's is told first).
      const metadataWritable = () => metadata !== undefined && writeOutputFile(metadata, '');
      const described = (rows: number) => {
        if (metadata === undefined) return;
        const artifacts = file === undefined ? [] : artifactsWith({ filepath: basename(file), total_bytes: statSync(file).size, total_rows: rows }, previous, besides(file));
        writeOutputFile(metadata, JSON.stringify(focusMetadata(new Date(), artifacts), null, 2) + '\n');
      };
      // focus.PARQUET is a Parquet file too (outputFormat made its format focus): CSV under that name fails in the tool it is loaded into.
      if (file !== undefined && extensionOf(file) === '.parquet') {
        writeOutputFile(file, '');
        metadataWritable();
        described(await writeParquet(records, file));
        return tellUnpriced();
      }
      const sink = file === undefined ? undefined : openOutputFile(file);
      metadataWritable();
      const write = async (text: string) => {
        if (!sink) return io.out(text);
        await sink.write(text);
      };
      const rows = format === 'focus' ? await writeFocusCsv(records(), write).catch(told) : 0;
      if (format === 'csv') await write(csvHeader());
      if (format !== 'focus')
        for await (const row of storage.ledger.scan(bounds)) await write(format === 'csv' ? toCsvLine(row) : toJsonLine(row));
      await sink?.close();
      described(rows);
      tellUnpriced();
    }, { read: true }),
  );
}

/** A file's text, or undefined when there is none to read. */
function textOf(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The bytes of a file named `name` in `file`'s folder; undefined when there is no such file. */
function besides(file: string): (name: string) => number | undefined {
  return (name) => {
    try {
      const st = statSync(join(dirname(file), name));
      return st.isFile() ? st.size : undefined;
    } catch {
      return undefined;
    }
  };
}

/** The file is made (empty) by the caller, so a bad path is caught before the ledger is read; a failure later is told as one line too. */
async function writeParquet(records: () => AsyncIterable<FocusRecord>, path: string): Promise<number> {
  const { writeFocusParquet } = await import('../../focus/parquet.js');
  try {
    return await writeFocusParquet(records(), path);
  } catch (err) {
    throw (err as NodeJS.ErrnoException).syscall !== undefined ? outputFileError(path, err) : told(err);
  }
}

/** A row FOCUS cannot express (focusRecords says which) is one line, not a stack trace. */
function told(err: unknown): never {
  throw err instanceof RangeError ? new CommandError(`export: ${err.message}`) : err;
}
