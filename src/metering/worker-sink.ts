import type { Worker } from 'node:worker_threads';
import type { LedgerRow } from '../core/ledger-row.js';
import type { StorageSpec } from '../storage/open.js';
import { startWorker } from '../worker-thread.js';

/** What the ledger's thread is started with. */
export interface LedgerWorkerData {
  spec: StorageSpec;
  charge: boolean;
}

/**
 * A ledger sink backed by a worker thread: `insert` posts a batch (the spool's encoded
 * lines when it has them, else a structured clone of the rows) and resolves when the
 * worker has committed it. A worker that dies fails the batches it held (the writer
 * retries them) and is started again for the next one.
 */
export class WorkerLedgerSink {
  readonly takesLines = true;
  private worker: Worker | undefined;
  private starting: Promise<Worker> | undefined;
  private readonly waiting = new Map<number, { ok: (n: number) => void; fail: (e: Error) => void }>();
  private seq = 0;
  private closed = false;
  private readonly data: LedgerWorkerData;

  private constructor(data: LedgerWorkerData) {
    this.data = data;
  }

  /** `charge`: rows the gateway did not serve are inserted with budget charges (see chargingSink). */
  static async start(spec: StorageSpec, o: { charge?: boolean } = {}): Promise<WorkerLedgerSink> {
    const sink = new WorkerLedgerSink({ spec, charge: o.charge === true });
    await sink.running();
    return sink;
  }

  insert(rows: readonly LedgerRow[], lines?: readonly string[]): Promise<number> {
    // One string is one copy; rows as objects are cloned field by field on the event loop.
    return lines ? this.send({ lines: lines.join('') }) : this.send({ rows });
  }

  async ping(): Promise<void> {
    await this.send({ ping: true });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    await this.send({ close: true }).catch(() => undefined);
    await worker.terminate();
  }

  /** The running worker, started first if there is none. */
  private running(): Promise<Worker> {
    if (this.worker) return Promise.resolve(this.worker);
    this.starting ??= startWorker(import.meta.url, 'ledger-worker', this.data)
      .then((w) => this.watch(w))
      .finally(() => (this.starting = undefined));
    return this.starting;
  }

  private watch(worker: Worker): Worker {
    worker.on('message', (m: { id: number; n?: number; error?: string; code?: string }) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      // The code comes across too: whether storage or the rows were at fault is read from it.
      if (m.error !== undefined) w.fail(Object.assign(new Error(m.error), m.code === undefined ? {} : { code: m.code }));
      else w.ok(m.n ?? 0);
    });
    const lost = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const w of this.waiting.values()) w.fail(err);
      this.waiting.clear();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the ledger worker thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private async send(body: { rows?: readonly LedgerRow[]; lines?: string; ping?: true; close?: true }): Promise<number> {
    if (this.closed && !body.close) throw new Error('the ledger worker is closed');
    const worker = await this.running();
    const id = ++this.seq;
    return new Promise((ok, fail) => {
      this.waiting.set(id, { ok, fail });
      worker.postMessage({ id, ...body });
    });
  }
}
