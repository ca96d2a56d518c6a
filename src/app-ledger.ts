import { RepeatedFailure } from './core/logger.js';
import type { LedgerRow } from './core/ledger-row.js';
import { chargingSink, settledAtAdmission } from './metering/charging-sink.js';
import type { LedgerSink } from './metering/ledger-sink.js';
import { LedgerWriter } from './metering/ledger-writer.js';
import { RefusedRows } from './metering/refused-rows.js';
import { OpenRequests, recoverOpenRequests } from './metering/open-requests.js';
import { Spool } from './metering/spool.js';
import { recoverSpools } from './metering/journal-files.js';
import { WorkerLedgerSink } from './metering/worker-sink.js';
import { toJsonLine } from './reports/export.js';
import { isLockBusy } from './storage/sqlite/db.js';
import { isStorageTrouble } from './storage/storage-trouble.js';
import type { AppOptions } from './app.js';

/**
 * How often the ledger's and the spool's files are checked by default: two fstat/stat calls. A
 * spool file deleted under the gateway is made again at the next check, so this is how long a
 * kill -9 could still take the rows not yet in storage with it.
 */
const FILE_CHECK_MS = 1_000;

export interface Ledger {
  writer: LedgerWriter;
  /** The thread that commits batches, when `ledgerWorker` is set. */
  worker: WorkerLedgerSink | undefined;
  /** The requests in flight, journaled for a crash; closed after the writer. */
  open: OpenRequests;
  /** Stops the check of the ledger's files (at shutdown). */
  stopWatching(): void;
  /** The rows recorded at start for requests an earlier process served and may not have settled (see Enforcer.settleRecovered). */
  recovered: RecoveredRow[];
}

export interface RecoveredRow {
  id: string;
  actual: bigint;
  tokens: number;
  /** Upstream tries: a request that fell back may hold more reservations than its own id's. */
  attempts: number;
}

/** Recovered rows kept for settlement at most: past it their reservations wait for the lease (as LateReleases). */
const MAX_RECOVERED = 100_000;

/**
 * The gateway's write path: rows a dead process left in its spool replayed into storage, then a
 * spool and a writer (on this thread or a worker), with their failures logged so that a full disk
 * or a ledger deleted under the gateway is told, not repeated thousands of times a second.
 */
/**
 * `charge`: the gateway's budgets count spend, so rows it did not serve (OpenTelemetry calls) are
 * inserted with budget charges (see chargingSink).
 */
export async function startLedger(o: Pick<AppOptions, 'storage' | 'spoolDir' | 'ledgerWorker' | 'log' | 'flushIntervalMs' | 'fileCheckMs' | 'price'> & { charge?: boolean }): Promise<Ledger> {
  const refused = new RefusedRows(o.spoolDir, toJsonLine);
  const setAside = (row: LedgerRow, err: unknown) => {
    const kept = refused.add(row);
    if (kept) o.log.error(`storage refused request ${row.id} on its own; the row is kept in ${refused.path} (load it with tollgate import --format ledger once the cause is fixed)`, { err: String(err) });
    return kept;
  };
  const unsettled: RecoveredRow[] = [];
  // Only rows new to storage: a row committed before the crash had its reservation settled just before.
  const insert = async (all: LedgerRow[]) => {
    const rows = o.charge ? all.filter(settledAtAdmission) : all;
    const reported = o.charge && rows.length < all.length ? await o.storage.ledger.insertCharged(all.filter((r) => !settledAtAdmission(r))) : 0;
    const ids = new Set(await o.storage.ledger.insertNew(rows));
    for (const r of rows) {
      if (ids.has(r.id) && unsettled.length < MAX_RECOVERED) unsettled.push({ id: r.id, actual: r.costPicos ?? 0n, tokens: r.inputTokens + r.outputTokens, attempts: r.attempts });
    }
    return ids.size + reported;
  };
  const recovered = await whileLocked(o.log, () => recoverSpools(o.spoolDir, insert, { isStorageTrouble, setAside }));
  if (recovered.rows > 0) o.log.info('replayed rows left in the spool by an earlier process', { rows: recovered.rows });
  if (recovered.skipped > 0) o.log.warn('skipped lines of the spool that are not whole rows (torn by a crash or a full disk)', { lines: recovered.skipped });
  // After the spools: a request whose own row was written keeps it.
  const interrupted = await whileLocked(o.log, () => recoverOpenRequests(o.spoolDir, insert, { isStorageTrouble, setAside }));
  if (interrupted > 0) o.log.warn(`recorded ${interrupted} request(s) an earlier process was serving when it died, as truncated (error_type gateway_crashed, input estimated)`, { rows: interrupted });
  const waiting = refused.count();
  if (waiting > 0) o.log.warn(`${waiting} row(s) storage refused are set aside in ${refused.path}: load them with tollgate import --format ledger once the cause is fixed, then delete the file`, {});
  const worker = o.ledgerWorker ? await WorkerLedgerSink.start(o.ledgerWorker, { charge: o.charge }) : undefined;
  const sink: LedgerSink = worker ?? (o.charge ? chargingSink(o.storage.ledger) : o.storage.ledger);
  // A full disk fails every write, many a second: each kind is logged at most every 30 s, and its end once.
  const spoolFailures = new RepeatedFailure(o.log);
  const ledgerFailures = new RepeatedFailure(o.log);
  const spool = new Spool(
    o.spoolDir,
    (err) => spoolFailures.failed((log, unlogged) => log.error('spool write failed: rows not yet in storage are held in memory only until it can be written again', { err: String(err), ...repeats(unlogged) })),
    () => spoolFailures.recovered('spool writes succeed again'),
  );
  const writer: LedgerWriter = new LedgerWriter(sink, spool, {
    flushIntervalMs: o.flushIntervalMs,
    isStorageTrouble,
    setAside,
    onError: (err) =>
      ledgerFailures.failed((log, unlogged) =>
        // Routine while another process (an import) writes the SQLite file: not an error.
        isLockBusy(err)
          ? log.warn(`ledger storage busy: another process holds its write lock; ${whereRowsWait(writer)}`, repeats(unlogged))
          : log.error(`ledger write failed; ${whereRowsWait(writer)}`, { err: String(err), ...repeats(unlogged) }),
      ),
    onRecovered: () => ledgerFailures.recovered('ledger writes succeed again', { pending: writer.pending }),
  });
  const openFailures = new RepeatedFailure(o.log);
  const open = new OpenRequests(o.spoolDir, o.price, {
    onError: (err) => openFailures.failed((log, unlogged) => log.error('journaling the requests in flight failed: a crash now would leave them without rows', { err: String(err), ...repeats(unlogged) })),
    onRecovered: () => openFailures.recovered('journaling the requests in flight succeeds again'),
    beforeDrop: () => spool.flush(),
  });
  // SQLite and the spool go on writing to files deleted under them (a `rm -rf .tollgate` to start
  // afresh), without an error, and what they write is gone once the process stops: say so.
  const lostFiles = new RepeatedFailure(o.log);
  const checkFiles = () => {
    let problem: string | undefined;
    let kept = false;
    try {
      const storageLost = o.storage.lostFile?.();
      let spoolLost = spool.lostFile();
      if (spoolLost !== undefined) spoolLost = remakeSpool(spool, spoolLost, storageLost === undefined, o.log);
      problem = storageLost ?? spoolLost;
      // The spool keeps what it holds, and all it writes from now on, for the next start to replay.
      if (storageLost !== undefined && spoolLost === undefined) {
        spool.retain();
        kept = true;
      }
    } catch (err) {
      problem = `the ledger's files cannot be checked (${String(err)})`;
    }
    const next = kept ? 'the spool keeps them: restart the gateway to start a new ledger with them' : 'rows recorded since go to a file nothing can read once it stops; restart the gateway to start a new ledger';
    if (problem) lostFiles.failed((l) => l.error(`${problem} while the gateway runs: ${next}`));
  };
  const timer = setInterval(checkFiles, o.fileCheckMs ?? FILE_CHECK_MS);
  timer.unref();
  const stopWatching = () => {
    clearInterval(timer);
    // A folder removed just before a stop: its rows would go with the deleted file.
    checkFiles();
  };
  return { writer, worker, open, stopWatching, recovered: unsettled };
}

/**
 * Makes the spool's deleted file again (its folder removed: `rm -rf` of the spool or of the folder
 * holding the ledger), with the rows it held: a kill -9 had lost the rows not yet in storage, and
 * the requests in flight, whose journal is made again the same way, were then recorded as crashed
 * although their clients had their answers. Returns what is still wrong, or undefined.
 */
function remakeSpool(spool: Spool, lost: string, say: boolean, log: AppOptions['log']): string | undefined {
  let path: string;
  try {
    path = spool.reopen();
  } catch (err) {
    return `${lost} and cannot be made again (${String(err)})`;
  }
  if (say) log.warn(`${lost} while the gateway runs: made it again as "${path}", with the rows not yet in storage`);
  return undefined;
}

/** How long a start waits before it tries again a replay that another process's write lock held up. */
const LOCKED_RETRY_MS = 200;

/**
 * Runs a replay of an earlier process's journals again and again while another process (an
 * import) holds SQLite's write lock: the gateway's inserts wait 20 ms for it, and the start then
 * failed with `SqliteError: database is locked` and a stack trace (exit code 1), so a gateway
 * restarted during an import did not come up. A replay tried again takes each row once (inserts
 * are idempotent on id, and its journal is deleted only once it is all in).
 */
async function whileLocked<T>(log: AppOptions['log'], replay: () => Promise<T>): Promise<T> {
  const waiting = new RepeatedFailure(log);
  for (;;) {
    try {
      const done = await replay();
      waiting.recovered('the ledger write lock is free again: replayed the journals of an earlier process');
      return done;
    } catch (err) {
      if (!isLockBusy(err)) throw err;
      waiting.failed((l) => l.warn('another process (an import) holds the ledger write lock: waiting for it to replay the journals of an earlier process before serving'));
      await new Promise((r) => setTimeout(r, LOCKED_RETRY_MS));
    }
  }
}

/** Where rows not yet in storage are kept, for a log line: the spool's file, or memory alone while the spool fails too. */
function whereRowsWait(writer: LedgerWriter): string {
  return writer.journaling ? 'rows are safe in the spool and will be retried' : `the spool cannot be written either: ${writer.pending} row(s) are held in memory only until one of them can take them`;
}

/** The count of like failures not logged since the last line, when there were any. */
function repeats(unlogged: number): Record<string, number> {
  return unlogged > 0 ? { unlogged_since_last: unlogged } : {};
}
