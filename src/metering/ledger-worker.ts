import { parentPort, workerData } from 'node:worker_threads';
import type { LedgerRow } from '../core/ledger-row.js';
import { openStorage, type StorageSpec } from '../storage/open.js';

// Runs in a worker thread: owns its own database connection and commits the batches the
// gateway's event loop hands over, so that SQL never blocks a request.
const storage = await openStorage(workerData as StorageSpec);
parentPort!.on('message', (m: { id: number; rows?: LedgerRow[]; close?: true }) => {
  const work = m.close ? storage.close().then(() => 0) : storage.ledger.insert(m.rows ?? []);
  work.then(
    (n) => parentPort!.postMessage({ id: m.id, n }),
    (err: unknown) => parentPort!.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
parentPort!.postMessage({ id: 0, ready: true });
