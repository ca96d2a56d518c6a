import { createReadStream, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { LedgerRow } from '../core/ledger-row.js';
import { formatUsd } from '../core/money.js';
import { projectResolver } from '../importers/attribution.js';
import { SOURCE_NAMES, type SourceName, SourceDirError, discover, noLogsFound } from '../importers/discover.js';
import { TooEarlyError, parseLedgerLine } from '../importers/ledger-format.js';
import { PushError, pushRows } from '../importers/push.js';
import { configStamp } from '../importers/quick-check.js';
import { type SourceTotals, changedFiles, emptySourceTotals, readNew, totalsBySource } from '../importers/run.js';
import { type AdapterMemory, type ImportState, afterWalk, emptyState, loadMemory, loadState, sameTargetFile, saveState } from '../importers/state.js';
import { statePathFor } from '../importers/state-path.js';
import { type Written, writeBySource, writeChanges } from '../importers/write.js';
import { clearWriting, markWriting, wasInterrupted } from '../importers/write-mark.js';
import type { LedgerStore } from '../storage/ports.js';
import type { ImportFlags } from './commands/import.js';
import { type ImportConfig, importConfig } from './import-config.js';
import { type ImportSummary, type SourceSummary, summaryText, tooEarlyText } from './import-summary.js';
import { CommandError, type Io, UsageError } from './output.js';
import { progressBar } from './progress.js';
import { errorMessage } from '../core/errors.js';
import { makeDirs } from '../files/make-dirs.js';

/** Rows per transaction (or per pushed request): big enough to be fast, small enough to keep memory flat. */
const BATCH = 5000;
/**
 * Rows per transaction when writing log imports, which hold every row in memory anyway:
 * larger, so that a first import is one transaction (SQLite then builds the indexes once).
 */
const WRITE_BATCH = 100_000;

export async function importLogs(flags: ImportFlags, io: Io): Promise<void> {
  const sources = sourcesOf(flags);
  const config = await importConfig(flags);
  const cred = flags.push ? pushCredential(flags.push, false) : undefined;
  let found: ReturnType<typeof discover>;
  try {
    found = discover(sources, process.env, flags.dir, (message) => io.err(`import: ${message}\n`));
  } catch (err) {
    if (err instanceof SourceDirError) throw new UsageError(`import: ${err.message}`);
    throw err;
  }

  const statePath = statePathFor(flags, process.env, process.cwd());
  if (!flags.dryRun) stateFolderReady(statePath);
  const target = targetOf(flags, config);
  let state = flags.full ? undefined : loadState(statePath);
  if (state && (state.target !== target.name || (target.file !== undefined && !sameTargetFile(state, stat(target.file))))) state = undefined;
  const summary: ImportSummary = { filesSeen: found.reduce((a, f) => a + f.files.length, 0), filesRead: 0, bytesRead: 0, written: 0, removed: 0, sources: {} };
  if (state && changedFiles(found, state) === 0) {
    if (!flags.dryRun) await finish(statePath, afterWalk(state, found), target, flags, undefined);
    return report(io, flags, summary);
  }
  // Something to read: the ledger is opened anyway, so ask it which database it is.
  if (state && target.file !== undefined && state.targetId !== undefined && state.targetId !== (await ledgerCreatedAt(target.file))) state = undefined;
  const fresh = state === undefined;
  state ??= emptyState(target.name);

  // The build's snapshot of the price catalog, not the whole catalog (see pricing/snapshot.ts).
  const { pricerWith } = await import('../pricing/pricer.js');
  const catalog = (await import('../pricing/snapshot.js')).catalogLookup();
  // Opened before the read, while the heap is small: loading the driver and making the schema
  // cost less CPU here than after the read (see docs/benchmarks.md, the import breakdown).
  const storage = flags.dryRun || flags.push ? undefined : await openLedger(config);
  let read: ReturnType<typeof readNew>;
  try {
    const bar = flags.progress === false || flags.json || flags.quiet ? undefined : progressBar('import');
    read = readNew({
      found,
      state,
      memory: fresh ? {} : loadMemory(statePath),
      attribution: { user: flags.user ?? config.import.user ?? osUser(), team: flags.team ?? config.import.team ?? null, project: flags.project ?? null },
      price: pricerWith(catalog, config.pricing),
      projectOf: projectResolver(),
      progress: bar ? (d, t) => bar.update(d, t) : undefined,
    });
    bar?.end();
    const rows = read.changes.rows();
    const remove = [...read.changes.removed];
    Object.assign(summary, { filesRead: read.filesRead, bytesRead: read.bytesRead, sources: describeTotals(totalsBySource(rows)) });
    for (const [source, n] of Object.entries(read.tooEarly)) (summary.sources[source] ??= describeSource(emptySourceTotals())).skippedBefore1970 = n;
    if (!flags.dryRun) {
      const priced = new Map<string, { picos: bigint; known: boolean }>();
      // A write whose state was never saved may have stored earlier versions of these rows: replace them.
      const split = read.changes.split(rows, flags.full === true, storage !== undefined && wasInterrupted(statePath));
      if (storage) writeMarked(statePath);
      // Removed: the rows storage (or the server) held, not the ids sent (a row replaced within this run was never stored).
      const { written, removed } = storage ? await writeChanges(storage.ledger, split, remove, { charge: await charged(config, storage), batch: WRITE_BATCH }) : await push(flags.push!, cred!, rows, remove, priced);
      summary.removed = removed;
      summary.written = Object.values(written).reduce((a, n) => a + n, 0);
      for (const [source, n] of Object.entries(written)) Object.assign(summary.sources[source] as object, { written: n });
      // The central gateway prices pushed rows itself (its catalog, overrides and discounts): its total is the one to show.
      for (const [source, p] of priced) Object.assign(summary.sources[source] as object, p.known ? { costUsd: formatUsd(p.picos), pricedBy: 'server' } : { pricedBy: 'estimate' });
    }
  } finally {
    await storage?.close();
  }
  if (!flags.dryRun) {
    await finish(statePath, read.state, target, flags, read.memory);
    clearWriting(statePath);
  }
  report(io, flags, summary);
}

/** `tollgate import --format ledger FILE`: rows of a Tollgate export, ids and timestamps kept; rows already present are skipped. */
export async function importLedgerFile(file: string, flags: ImportFlags, io: Io): Promise<void> {
  const notHere = ledgerFileMisfits(flags);
  if (notHere.length > 0) throw new UsageError(`import --format ledger: ${notHere.join(', ')} ${notHere.length === 1 ? 'applies' : 'apply'} to agent logs only (the rows of an export keep their own source and attribution)`);
  const cred = flags.push ? pushCredential(flags.push, true) : undefined;
  const config = await importConfig(flags);
  if (file !== '-') {
    let isDir: boolean;
    try {
      isDir = statSync(file).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UsageError(`import: cannot read "${file}" (${code === 'ENOENT' ? 'no such file' : (code ?? String(err))})`);
    }
    if (isDir) throw new UsageError(`import --format ledger: "${file}" is a folder; name the JSONL file from \`tollgate export\``);
  }
  const input = file === '-' ? process.stdin : createReadStream(file);
  const storage = flags.dryRun || flags.push ? undefined : await openLedger(config);
  const charge = storage !== undefined && (await charged(config, storage));
  // A ledger file's rows are history: the server keeps a row it already has, as a local load does.
  const send = flags.push && !flags.dryRun ? { url: flags.push, token: cred!.token, mode: 'insert' as const, batch: BATCH } : undefined;
  let lineNo = 0;
  let read = 0;
  let written = 0;
  let batch: LedgerRow[] = [];
  let batchFrom = 1;
  const tooEarly: number[] = [];
  const name = file === '-' ? 'stdin' : file;
  const flush = async (last = lineNo) => {
    try {
      if (storage && batch.length > 0) written += await (charge ? storage.ledger.insertCharged(batch) : storage.ledger.insert(batch));
      if (send && batch.length > 0) written += await pushRows(batch, [], send);
    } catch (err) {
      if (err instanceof PushError) throw new CommandError(`import --push: ${name} lines ${batchFrom}-${last}: ${err.message}; ${written} rows written before them (loading the file again is safe: rows are kept by id)`);
      // Storage's own refusal (locked, unreachable, a value it cannot hold): one line, not a stack.
      throw new CommandError(`import: ${name} lines ${batchFrom}-${last}: storage refused the rows (${errorMessage(err)}); ${written} rows written before them`);
    }
    batch = [];
    batchFrom = last + 1;
  };
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      lineNo++;
      if (!line.trim()) continue;
      let row: LedgerRow;
      try {
        row = parseLedgerLine(line);
      } catch (err) {
        if (err instanceof TooEarlyError) {
          tooEarly.push(lineNo);
          continue;
        }
        // The good rows before it are written first, as docs/import.md promises.
        await flush(lineNo - 1);
        const before = flags.dryRun ? 'dry run: nothing written' : `${written} rows before it written, ${read - written} already present`;
        throw new CommandError(`import: ${name} line ${lineNo}: ${(err as Error).message} (${before})`);
      }
      batch.push(row);
      read++;
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  } finally {
    await storage?.close();
  }
  if (flags.json) io.out(JSON.stringify({ read, written, skipped: read - written, ...(tooEarly.length ? { skipped_before_1970: tooEarly.length } : {}) }) + '\n');
  else if (!flags.quiet) io.out(`Read ${read} rows, wrote ${written}${send ? ` to ${send.url}` : ''} (${read - written} already present${flags.dryRun ? ', dry run' : ''})${earlyLines(tooEarly)}.\n`);
}

/** `; skipped 2 lines dated before 1970-01-01 …: lines 3, 5`, the first ten named; '' for none. */
function earlyLines(lines: readonly number[]): string {
  if (lines.length === 0) return '';
  return `; ${tooEarlyText(lines.length)}: line${lines.length === 1 ? '' : 's'} ${lines.slice(0, 10).join(', ')}${lines.length > 10 ? ', …' : ''}`;
}

/** The flags of a log import given with --format ledger, where they would be silently ignored. */
function ledgerFileMisfits(flags: ImportFlags): string[] {
  const given: [string, unknown][] = [
    ['--source', flags.source !== 'all' ? flags.source : undefined],
    ['--dir', flags.dir],
    ['--user', flags.user],
    ['--team', flags.team],
    ['--project', flags.project],
    ['--state', flags.state],
    ['--full', flags.full],
  ];
  return given.filter(([, v]) => v !== undefined && v !== false).map(([name]) => name);
}

function sourcesOf(flags: ImportFlags): readonly SourceName[] {
  if (flags.source !== 'all' && !(SOURCE_NAMES as readonly string[]).includes(flags.source)) {
    throw new UsageError(`import: --source must be claude-code, codex or all, not "${flags.source}"`);
  }
  if (flags.dir && flags.source === 'all') throw new UsageError('import: --dir needs --source claude-code or --source codex');
  return flags.source === 'all' ? SOURCE_NAMES : [flags.source as SourceName];
}

/** What `--push` sends: the central Tollgate's admin token, or a developer's own Tollgate key (`own`), whose rows the server attributes to it. */
interface PushCredential {
  token: string;
  own: boolean;
}

function pushCredential(url: string, ledgerFile: boolean): PushCredential {
  let ok = false;
  try {
    ok = ['http:', 'https:'].includes(new URL(url).protocol);
  } catch {
    ok = false;
  }
  if (!ok) throw new UsageError(`import: --push must be an http or https URL, not "${url}"`);
  const token = process.env.TOLLGATE_ADMIN_TOKEN;
  if (token) return { token, own: false };
  const key = process.env.TOLLGATE_KEY;
  if (key && ledgerFile) throw new UsageError("import --format ledger --push: a ledger file is loaded with the central Tollgate's admin token (TOLLGATE_ADMIN_TOKEN), not a Tollgate key");
  if (key) return { token: key, own: true };
  throw new UsageError("import: --push needs TOLLGATE_ADMIN_TOKEN (the central Tollgate's admin token) or TOLLGATE_KEY (your own Tollgate key there, whose user the rows are then attributed to)");
}

interface Target {
  name: string;
  file?: string;
}

function targetOf(flags: ImportFlags, config: ImportConfig): Target {
  if (flags.push) return { name: `push:${flags.push}` };
  if (config.storage.kind === 'postgres') {
    const u = new URL(config.storage.url);
    u.password = '';
    return { name: `postgres:${u.toString()}` };
  }
  return { name: `sqlite:${config.storage.path}`, file: config.storage.path };
}

function stat(path: string): { ino: number; birthtimeMs: number } | undefined {
  return statSync(path, { throwIfNoEntry: false });
}

async function ledgerCreatedAt(path: string): Promise<string | undefined> {
  return (await import('../storage/sqlite/db.js')).createdAt(path);
}

/** Saves the state, with what identifies a SQLite target now (read from inside it only after a write, or if unknown). */
async function finish(statePath: string, state: ImportState, target: Target, flags: ImportFlags, memory: AdapterMemory | undefined): Promise<void> {
  const next: ImportState = { ...state, target: target.name, configStamp: configStamp(flags.config) };
  if (target.file !== undefined) {
    const st = stat(target.file);
    const id = memory !== undefined || state.targetId === undefined ? await ledgerCreatedAt(target.file) : state.targetId;
    Object.assign(next, { targetFile: target.file, targetIno: st?.ino, targetBirthMs: st?.birthtimeMs, targetId: id });
  }
  try {
    saveState(statePath, next, memory);
  } catch (err) {
    throw new CommandError(`import: the rows are written, but the import state could not be saved at "${statePath}" (${errorMessage(err)}); the next run reads the logs again and replaces the rows written`);
  }
}

/** Notes that a write begins (see write-mark.ts); nothing is written when that fails. */
function writeMarked(statePath: string): void {
  try {
    markWriting(statePath);
  } catch (err) {
    throw new CommandError(`import: cannot keep the import state beside "${statePath}" (${errorMessage(err)}); nothing was written`);
  }
}

/** Fails before anything is read or written when the state's folder cannot be made (the state says what a next run may skip). */
function stateFolderReady(statePath: string): void {
  try {
    makeDirs(dirname(statePath));
  } catch (err) {
    throw new UsageError(`import: cannot keep the import state at "${statePath}" (${errorMessage(err)}); pass --state FILE in a folder Tollgate can write`);
  }
}

/**
 * Whether the rows' spend is queued for a gateway's budget counters (docs/budgets.md, "Imported
 * spend"): only where a budget is configured or stored. With none, no counter exists to add it
 * to, and one made later starts from the ledger, which has the rows; queuing costs a first
 * import about as much again as writing its rows.
 */
async function charged(config: ImportConfig, storage: Ledger): Promise<boolean> {
  return config.rules.budgets.length > 0 || (await storage.ledger.budgetsStored());
}

/** The ledger alone for SQLite (see openSqliteLedger), the whole storage for Postgres. */
type Ledger = { ledger: LedgerStore; close(): Promise<void> };

async function openLedger(config: ImportConfig): Promise<Ledger> {
  if (config.storage.kind === 'sqlite') return (await import('../storage/sqlite/ledger.js')).openSqliteLedger(config.storage.path);
  return (await import('../storage/open.js')).openStorage(config.storage);
}

async function push(url: string, cred: PushCredential, rows: LedgerRow[], remove: string[], priced: Map<string, { picos: bigint; known: boolean }>): Promise<Written> {
  const removed = { n: 0 };
  try {
    // pushRows sends its own requests in batches: one call per source.
    const written = await writeBySource(rows, Infinity, remove, (list, removing) => {
      const p = { picos: 0n, known: true };
      if (list[0]) priced.set(list[0].source, p);
      return pushRows(list, removing, { url, token: cred.token, own: cred.own, priced: p, removed });
    });
    return { written, removed: removed.n };
  } catch (err) {
    if (err instanceof PushError) throw new CommandError(`import --push: ${err.message}. Nothing was marked as imported: the next run sends it again.`);
    throw err;
  }
}

function osUser(): string | null {
  try {
    return userInfo().username || null;
  } catch {
    return process.env.USER ?? null;
  }
}

function describeTotals(t: Record<string, SourceTotals>): Record<string, SourceSummary> {
  return Object.fromEntries(Object.entries(t).map(([source, x]) => [source, describeSource(x)]));
}

function describeSource(x: SourceTotals): SourceSummary {
  return { rows: x.rows, inputTokens: x.inputTokens, cacheReadTokens: x.cacheReadTokens, cacheWriteTokens: x.cacheWriteTokens, outputTokens: x.outputTokens, costUsd: formatUsd(x.costPicos), unpricedRows: x.unpriced };
}

function report(io: Io, flags: ImportFlags, s: ImportSummary): void {
  if (flags.json) return io.out(JSON.stringify(s) + '\n');
  if (flags.quiet) return;
  if (s.filesSeen === 0 && !flags.dir?.length) return io.out(noLogsFound(process.env, flags.source));
  io.out(summaryText(s, { dryRun: flags.dryRun, push: flags.push }));
}
