import type { Worker } from 'node:worker_threads';
import type { RateBook, TokenRates } from '../pricing/unit-rates.js';
import type { StorageSpec } from '../storage/open.js';
import type { LedgerStore } from '../storage/ports.js';
import { startWorker } from '../worker-thread.js';
import { evaluate } from './evaluate.js';
import { SeriesReader } from './inputs.js';
import type { AnomalySettings, Detection } from './types.js';

/** Runs the live evaluation at a given clock: in this thread, or in a worker thread with its own connection. */
export interface Evaluator {
  evaluate(at: number): Promise<Detection[]>;
  close(): Promise<void>;
}

/** What a worker thread needs to evaluate on its own: where the ledger is, and the thresholds. */
export interface EvaluatorSpec {
  storage: StorageSpec;
  settings: AnomalySettings;
}

/** The worker asks the gateway's thread for the rates of the models it is about to price. */
export interface RatesQuestion {
  kind: 'rates';
  id: number;
  at: number;
  models: { provider: string; model: string }[];
}
export interface RatesAnswer {
  kind: 'rates';
  id: number;
  rates: (TokenRates | null)[];
}

/** The evaluation on this thread: for Postgres-free tests, an in-memory SQLite, and `tollgate detect`. */
export function inProcessEvaluator(ledger: LedgerStore, settings: AnomalySettings, rates: RateBook): Evaluator {
  const reader = new SeriesReader(ledger);
  return { evaluate: (at) => evaluate(reader, at, settings, rates), close: () => Promise.resolve() };
}

type Reply = { id: number; detections?: Detection[]; error?: string };

/**
 * The evaluation in a worker thread with its own storage connection (SQLite's driver is
 * synchronous: its reads would otherwise stall the gateway's event loop). The worker keeps
 * its own series cache, so it evaluates exactly as `evaluate` does here; only the request
 * and the detections (a structured clone, bigints included) cross threads.
 */
export class ThreadEvaluator implements Evaluator {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { ok: (d: Detection[]) => void; fail: (e: Error) => void }>();
  private seq = 0;
  /** Set once the thread has failed or exited: later evaluations fail at once instead of waiting forever. */
  private dead: Error | undefined;

  private constructor(worker: Worker, rates: RateBook) {
    this.worker = worker;
    worker.on('message', (m: Reply | RatesQuestion) => {
      if ('kind' in m) {
        const answer: RatesAnswer = { kind: 'rates', id: m.id, rates: m.models.map((x) => rates(x.provider, x.model, m.at) ?? null) };
        return worker.postMessage(answer);
      }
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.error !== undefined) w.fail(new Error(m.error));
      else w.ok(m.detections ?? []);
    });
    const failAll = (err: Error) => {
      this.dead ??= err;
      for (const w of this.waiting.values()) w.fail(err);
      this.waiting.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`the anomaly evaluation thread exited with code ${code}`)));
  }

  /** `rates` prices for the thread, which has no price catalog of its own. */
  static async start(spec: EvaluatorSpec, rates: RateBook): Promise<ThreadEvaluator> {
    return new ThreadEvaluator(await startWorker(import.meta.url, 'evaluation-worker', spec), rates);
  }

  evaluate(at: number): Promise<Detection[]> {
    return this.send({ at });
  }

  /** Ends the thread; an evaluation under way is cut short (it only reads) and fails. */
  async close(): Promise<void> {
    if (this.waiting.size === 0) await this.send({ close: true }).catch(() => undefined);
    await this.worker.terminate();
  }

  private send(body: { at?: number; close?: true }): Promise<Detection[]> {
    if (this.dead) return Promise.reject(this.dead);
    const id = ++this.seq;
    return new Promise((ok, fail) => {
      this.waiting.set(id, { ok, fail });
      this.worker.postMessage({ id, ...body });
    });
  }
}

/**
 * A thread started for each evaluation and ended after it. A resident thread (its own V8
 * heap, price catalog and SQLite connection) measured about 40 MB of the gateway's resident
 * memory at all times, for work done once a minute; a thread per evaluation costs its start
 * and a cold series cache instead. `start` checks once that
 * a thread can run at all, so that a gateway that cannot start one says so at start-up.
 */
export class ThreadPerEvaluation implements Evaluator {
  private readonly spec: EvaluatorSpec;
  private readonly rates: RateBook;
  private current: ThreadEvaluator | undefined;
  private closed = false;

  private constructor(spec: EvaluatorSpec, rates: RateBook) {
    this.spec = spec;
    this.rates = rates;
  }

  static async start(spec: EvaluatorSpec, rates: RateBook): Promise<ThreadPerEvaluation> {
    await (await ThreadEvaluator.start(spec, rates)).close();
    return new ThreadPerEvaluation(spec, rates);
  }

  async evaluate(at: number): Promise<Detection[]> {
    if (this.closed) throw new Error('the anomaly evaluator is closed');
    const thread = await ThreadEvaluator.start(this.spec, this.rates);
    this.current = thread;
    try {
      return await thread.evaluate(at);
    } finally {
      this.current = undefined;
      await thread.close();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.current?.close();
  }
}
