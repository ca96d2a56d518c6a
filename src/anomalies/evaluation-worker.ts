import { parentPort, workerData } from 'node:worker_threads';
import type { TokenRates } from '../pricing/unit-rates.js';
import { openStorage } from '../storage/open.js';
import { type DetectorRates, type ModelRef, evaluate } from './evaluate.js';
import type { EvaluatorSpec, RatesAnswer, RatesQuestion } from './evaluator.js';
import { SeriesReader } from './inputs.js';

// Runs in a worker thread (see ThreadEvaluator): its own connection, its own series cache,
// one evaluation at a time, so the gateway's event loop never waits on these reads. Prices
// come from the gateway's thread: loading the price catalog here measured about 18 MB.
const spec = workerData as EvaluatorSpec;
const storage = await openStorage(spec.storage);
const reader = new SeriesReader(storage.ledger);

const known = new Map<string, TokenRates | null>();
const keyOf = (provider: string, model: string, at: number) => `${provider}\u0000${model}\u0000${Math.floor(at / 86_400_000)}`;
const asked = new Map<number, (a: RatesAnswer) => void>();
let questions = 0;
const rates: DetectorRates = Object.assign((provider: string, model: string, at: number) => known.get(keyOf(provider, model, at)) ?? undefined, {
  prepare: async (models: readonly ModelRef[], at: number) => {
    const missing = [...new Map(models.map((m) => [keyOf(m.provider, m.model, at), { provider: m.provider, model: m.model }])).entries()].filter(([k]) => !known.has(k));
    if (missing.length === 0) return;
    const id = ++questions;
    const answer = await new Promise<RatesAnswer>((ok) => {
      asked.set(id, ok);
      const q: RatesQuestion = { kind: 'rates', id, at, models: missing.map(([, m]) => m) };
      parentPort!.postMessage(q);
    });
    missing.forEach(([k], i) => known.set(k, answer.rates[i] ?? null));
  },
});

parentPort!.on('message', (m: { id: number; at?: number; close?: true } | RatesAnswer) => {
  if ('kind' in m) {
    asked.get(m.id)?.(m);
    asked.delete(m.id);
    return;
  }
  const work = m.close ? storage.close().then(() => []) : evaluate(reader, m.at!, spec.settings, rates);
  work.then(
    (detections) => parentPort!.postMessage({ id: m.id, detections }),
    (err: unknown) => parentPort!.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
parentPort!.postMessage({ id: 0, ready: true });
