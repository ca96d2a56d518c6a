import { parentPort, workerData } from 'node:worker_threads';
import { errorCode, errorMessage } from '../core/errors.js';
import type { LedgerRow } from '../core/ledger-row.js';
import { openSqliteLedger } from '../storage/sqlite/ledger.js';
import { decodeRow } from './row-codec.js';
import { chargingSink } from './charging-sink.js';
import type { LedgerWorkerData } from './worker-sink.js';

// Runs in a worker thread: owns its own database connection and commits the batches the
// gateway's event loop hands over, so that SQL never blocks a request.
const { spec, charge } = workerData as LedgerWorkerData;
// SQLite's ledger alone: the other stores (and their modules) would cost the thread memory.
const storage = spec.kind === 'sqlite' ? openSqliteLedger(spec.path) : await (await import('../storage/open.js')).openStorage(spec);
const sink = charge ? chargingSink(storage.ledger) : storage.ledger;
/** Decoding here rather than cloning on the gateway's thread. */
const rowsOf = (lines: string): LedgerRow[] => lines.split('\n').filter((l) => l !== '').map(decodeRow);

parentPort!.on('message', (m: { id: number; rows?: LedgerRow[]; lines?: string; ping?: true; close?: true }) => {
  let work: Promise<number>;
  try {
    if (m.close) work = storage.close().then(() => 0);
    else if (m.ping) work = storage.ledger.ping().then(() => 0);
    else work = sink.insert(m.lines !== undefined ? rowsOf(m.lines) : (m.rows ?? []));
  } catch (err) {
    work = Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  work.then(
    (n) => parentPort!.postMessage({ id: m.id, n }),
    (err: unknown) => {
      const code = errorCode(err);
      parentPort!.postMessage({ id: m.id, error: errorMessage(err), ...(code === undefined ? {} : { code }) });
    },
  );
});
parentPort!.postMessage({ id: 0, ready: true });
