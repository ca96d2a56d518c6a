import { parentPort, workerData } from 'node:worker_threads';
import type { TokenRates } from '../pricing/unit-rates.js';
import { openStorage } from '../storage/open.js';
import type { DetectorRates, ModelRef } from './evaluate.js';
import { type EvaluatorSpec, type RatesAnswer, type RatesQuestion, lateBudgetMs } from './evaluator.js';
import { SeriesReader } from './inputs.js';
import { type LiveState, livePass } from './live.js';
import { errorMessage } from '../core/errors.js';

// Runs in a child process (the gateway's way, see RemoteEvaluator.startProcess) or a worker
// thread: its own connection, its own series cache, one evaluation at a time, so the gateway's
// event loop never waits on these reads. Prices come from the gateway: loading the price
// catalog here measured about 18 MB.
type Message = { id: number; at?: number; state?: LiveState; close?: true } | RatesAnswer;
const port = parentPort
  ? { post: (m: unknown) => parentPort!.postMessage(m), on: (f: (m: Message) => void) => parentPort!.on('message', f) }
  : { post: (m: unknown) => process.send!(m), on: (f: (m: Message) => void) => process.on('message', f) };
// A child process gets its spec as its first message (see startChild).
const spec = (parentPort ? workerData : await new Promise((ok) => process.once('message', ok))) as EvaluatorSpec;
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
      port.post(q);
    });
    missing.forEach(([k], i) => known.set(k, answer.rates[i] ?? null));
  },
});

port.on((m) => {
  if ('kind' in m) {
    asked.get(m.id)?.(m);
    asked.delete(m.id);
    return;
  }
  const work = m.close ? storage.close().then(() => undefined) : livePass(storage.ledger, () => reader, m.at!, m.state!, spec.settings, rates, lateBudgetMs(spec.settings));
  work.then(
    (pass) => {
      port.post({ id: m.id, pass });
      // A child process ends once its channel closes.
      if (m.close && !parentPort) process.disconnect();
    },
    (err: unknown) => port.post({ id: m.id, error: errorMessage(err) }),
  );
});
port.post({ id: 0, ready: true });
