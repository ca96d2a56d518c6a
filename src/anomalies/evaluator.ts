import type { ChildProcess } from 'node:child_process';
import type { Worker } from 'node:worker_threads';
import type { RateBook, TokenRates } from '../pricing/unit-rates.js';
import type { StorageSpec } from '../storage/open.js';
import type { LedgerStore } from '../storage/ports.js';
import { startChild } from '../child-process.js';
import { startWorker } from '../worker-thread.js';
import { SeriesReader } from './inputs.js';
import { type LivePass, type LiveState, livePass } from './live.js';
import type { AnomalySettings } from './types.js';

/**
 * Runs a pass of the live evaluation at a given clock (see livePass): in this thread, or in a
 * child process or worker thread with its own connection.
 */
export interface Evaluator {
  evaluate(at: number, state: LiveState): Promise<LivePass>;
  close(): Promise<void>;
}

/** How long a pass may spend on past evaluations owed to late rows before it evaluates the present: half the interval. */
export function lateBudgetMs(settings: AnomalySettings): number {
  return settings.intervalMs / 2;
}

/** What a child process or worker thread needs to evaluate on its own: where the ledger is, and the thresholds. */
export interface EvaluatorSpec {
  storage: StorageSpec;
  settings: AnomalySettings;
}

/** The evaluation asks the gateway for the rates of the models it is about to price. */
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
  let reader = new SeriesReader(ledger);
  // Late rows may have landed in hours the reader cached: it starts afresh then.
  const readerFor = (stale: boolean) => (stale ? (reader = new SeriesReader(ledger)) : reader);
  return { evaluate: (at, state) => livePass(ledger, readerFor, at, state, settings, rates, lateBudgetMs(settings)), close: () => Promise.resolve() };
}

type Reply = { id: number; pass?: LivePass; error?: string };

/** How the gateway talks to where an evaluation runs: a worker thread or a child process. */
interface Channel {
  post(m: unknown): void;
  onMessage(f: (m: Reply | RatesQuestion) => void): void;
  /** Called once the other side fails or exits. */
  onGone(f: (err: Error) => void): void;
  /** Ends the other side (after it was asked to close). */
  end(): Promise<void>;
}

function threadChannel(worker: Worker): Channel {
  return {
    post: (m) => worker.postMessage(m),
    onMessage: (f) => worker.on('message', f),
    onGone: (f) => {
      worker.on('error', f);
      worker.on('exit', (code) => f(new Error(`the anomaly evaluation thread exited with code ${code}`)));
    },
    end: async () => void (await worker.terminate()),
  };
}

function processChannel(child: ChildProcess): Channel {
  return {
    post: (m) => child.send(m as object),
    onMessage: (f) => child.on('message', f),
    onGone: (f) => {
      child.on('error', f);
      child.on('exit', (code, signal) => f(new Error(`the anomaly evaluation process exited with ${signal ?? `code ${code}`}`)));
    },
    end: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        // Asked to close, it exits by itself; one cut short (an evaluation under way) is killed: it only reads.
        if (child.connected) child.disconnect();
        setTimeout(() => child.kill(), 1000).unref();
      }),
  };
}

/**
 * The evaluation in a child process or a worker thread with its own storage connection
 * (SQLite's driver is synchronous: its reads would otherwise stall the gateway's event loop).
 * It keeps its own series cache, so it evaluates exactly as `livePass` does here; only the
 * request and the scheduler's state, the rates it asks for and the pass (structured clones,
 * bigints included) cross.
 */
export class RemoteEvaluator implements Evaluator {
  private readonly channel: Channel;
  private readonly waiting = new Map<number, { ok: (p: LivePass | undefined) => void; fail: (e: Error) => void }>();
  private seq = 0;
  /** Set once the other side has failed or exited: later evaluations fail at once instead of waiting forever. */
  private dead: Error | undefined;

  private constructor(channel: Channel, rates: RateBook) {
    this.channel = channel;
    channel.onMessage((m) => {
      if ('kind' in m) {
        const answer: RatesAnswer = { kind: 'rates', id: m.id, rates: m.models.map((x) => rates(x.provider, x.model, m.at) ?? null) };
        return channel.post(answer);
      }
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.error !== undefined) w.fail(new Error(m.error));
      else w.ok(m.pass);
    });
    channel.onGone((err) => {
      this.dead ??= err;
      for (const w of this.waiting.values()) w.fail(err);
      this.waiting.clear();
    });
  }

  /** In a worker thread; `rates` prices for it, which has no price catalog of its own. */
  static async startThread(spec: EvaluatorSpec, rates: RateBook): Promise<RemoteEvaluator> {
    return new RemoteEvaluator(threadChannel(await startWorker(import.meta.url, 'evaluation-worker', spec)), rates);
  }

  /** In a child process (the same module); `rates` as for a thread. */
  static async startProcess(spec: EvaluatorSpec, rates: RateBook): Promise<RemoteEvaluator> {
    return new RemoteEvaluator(processChannel(await startChild(import.meta.url, 'evaluation-worker', spec)), rates);
  }

  async evaluate(at: number, state: LiveState): Promise<LivePass> {
    return (await this.send({ at, state }))!;
  }

  /** Ends the other side; an evaluation under way is cut short (it only reads) and fails. */
  async close(): Promise<void> {
    if (this.waiting.size === 0) await this.send({ close: true }).catch(() => undefined);
    await this.channel.end();
  }

  private send(body: { at?: number; state?: LiveState; close?: true }): Promise<LivePass | undefined> {
    if (this.dead) return Promise.reject(this.dead);
    const id = ++this.seq;
    return new Promise((ok, fail) => {
      this.waiting.set(id, { ok, fail });
      this.channel.post({ id, ...body });
    });
  }
}

/**
 * A child process started for each evaluation and ended after it. A resident worker thread
 * (its own V8 heap, price catalog and SQLite connection) measured about 40 MB of the gateway's
 * resident memory at all times, for work done once a minute; a thread per evaluation still
 * left the gateway about 20 MB larger (the allocator keeps what the threads freed). A process's
 * memory goes back to the system when it exits; it costs a process start and a cold series
 * cache per evaluation (docs/benchmarks.md). `start` checks once that one can run at all, so
 * that a gateway that cannot start one says so at start-up.
 */
export class PerEvaluation implements Evaluator {
  private readonly startOne: () => Promise<RemoteEvaluator>;
  private current: RemoteEvaluator | undefined;
  private closed = false;

  private constructor(startOne: () => Promise<RemoteEvaluator>) {
    this.startOne = startOne;
  }

  /** `startOne` starts where one evaluation runs, e.g. `() => RemoteEvaluator.startProcess(spec, rates)`. */
  static async start(startOne: () => Promise<RemoteEvaluator>): Promise<PerEvaluation> {
    await (await startOne()).close();
    return new PerEvaluation(startOne);
  }

  async evaluate(at: number, state: LiveState): Promise<LivePass> {
    if (this.closed) throw new Error('the anomaly evaluator is closed');
    const one = await this.startOne();
    this.current = one;
    try {
      return await one.evaluate(at, state);
    } finally {
      this.current = undefined;
      await one.close();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.current?.close();
  }
}
