import type { Worker } from 'node:worker_threads';
import type { LedgerRow } from '../core/ledger-row.js';
import type { StorageSpec } from '../storage/open.js';
import { startWorker } from '../worker-thread.js';

/**
 * A ledger sink backed by a worker thread: `insert` posts a batch (the spool's encoded
 * lines when it has them, else a structured clone of the rows) and resolves when the
 * worker has committed it.
 */
export class WorkerLedgerSink {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { ok: (n: number) => void; fail: (e: Error) => void }>();
  private seq = 0;

  private constructor(worker: Worker) {
    this.worker = worker;
    worker.on('message', (m: { id: number; n?: number; error?: string }) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.error !== undefined) w.fail(new Error(m.error));
      else w.ok(m.n ?? 0);
    });
    worker.on('error', (err) => {
      for (const w of this.waiting.values()) w.fail(err);
      this.waiting.clear();
    });
  }

  static async start(spec: StorageSpec): Promise<WorkerLedgerSink> {
    return new WorkerLedgerSink(await startWorker(import.meta.url, 'ledger-worker', spec));
  }

  insert(rows: readonly LedgerRow[], lines?: readonly string[]): Promise<number> {
    // One string is one copy; rows as objects are cloned field by field on the event loop.
    return lines ? this.send({ lines: lines.join('') }) : this.send({ rows });
  }

  async close(): Promise<void> {
    await this.send({ close: true }).catch(() => undefined);
    await this.worker.terminate();
  }

  private send(body: { rows?: readonly LedgerRow[]; lines?: string; close?: true }): Promise<number> {
    const id = ++this.seq;
    return new Promise((ok, fail) => {
      this.waiting.set(id, { ok, fail });
      this.worker.postMessage({ id, ...body });
    });
  }
}
