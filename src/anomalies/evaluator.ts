import type { Worker } from 'node:worker_threads';
import type { PricerOptions } from '../pricing/index.js';
import type { RateBook } from '../pricing/unit-rates.js';
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

/** What a worker thread needs to evaluate on its own: where the ledger is, the thresholds, and how to price (for dollar figures). */
export interface EvaluatorSpec {
  storage: StorageSpec;
  settings: AnomalySettings;
  pricing: PricerOptions;
  /** Configured provider name → its catalog provider, as `rateBook` takes them. */
  catalogs: Readonly<Record<string, string | undefined>>;
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

  private constructor(worker: Worker) {
    this.worker = worker;
    worker.on('message', (m: Reply) => {
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

  static async start(spec: EvaluatorSpec): Promise<ThreadEvaluator> {
    return new ThreadEvaluator(await startWorker(import.meta.url, 'evaluation-worker', spec));
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
