import { parentPort, workerData } from 'node:worker_threads';
import { createPricer, rateBook } from '../pricing/index.js';
import { openStorage } from '../storage/open.js';
import { evaluate } from './evaluate.js';
import type { EvaluatorSpec } from './evaluator.js';
import { SeriesReader } from './inputs.js';

// Runs in a worker thread (see ThreadEvaluator): its own connection, its own series cache,
// one evaluation at a time, so the gateway's event loop never waits on these reads.
const spec = workerData as EvaluatorSpec;
const storage = await openStorage(spec.storage);
const rates = rateBook(createPricer(spec.pricing), spec.catalogs);
const reader = new SeriesReader(storage.ledger);
parentPort!.on('message', (m: { id: number; at?: number; close?: true }) => {
  const work = m.close ? storage.close().then(() => []) : evaluate(reader, m.at!, spec.settings, rates);
  work.then(
    (detections) => parentPort!.postMessage({ id: m.id, detections }),
    (err: unknown) => parentPort!.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
parentPort!.postMessage({ id: 0, ready: true });
