import { availableParallelism, loadavg } from 'node:os';
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { SourceName } from './discover.js';
import type { ScanResult } from './lines.js';

/** A file for the worker to read and parse from `from`, with its source's `parse`. */
export interface AheadJob {
  source: SourceName;
  path: string;
  from: number;
}

/** A file read ahead from `from`: what `parse` returned for each line that counts, in order, and where the read stopped. */
export interface AheadFile extends ScanResult {
  from: number;
  items: unknown[];
}

/** A file as the worker posts it: the items as JSON. */
export type AheadPosted = { path: string; items: string } & Omit<AheadFile, 'items'>;

/** What the worker posts per file: the file, or why it could not (then the main thread reads it itself). */
export type AheadMessage = AheadPosted | { path: string; error: string };

export interface ParseAhead {
  /** The file parsed by the worker, waiting for it if need be; undefined when it was not given the file, or failed on it. */
  take(path: string): AheadFile | undefined;
  close(): void;
}

/**
 * Whether a core is idle (the load average is below the core count less one). Only then
 * does a second thread pay: on a busy machine it competes with the other processes, and
 * its start and hand-over cost about a sixth more CPU time (measured at load 5 on 2 cores:
 * the import was slower with the worker than without).
 */
export function spareCore(): boolean {
  return availableParallelism() - loadavg()[0]! >= 1;
}

/** Give up on a worker that shows no progress for this long (it died: the main thread reads the rest). */
const STALL_MS = 30_000;

/**
 * Starts a worker thread that reads and parses `jobs` in order, while the main thread
 * does its own share. `take` is synchronous (readNew is): it blocks on a shared counter the
 * worker bumps after each file, and dequeues with receiveMessageOnPort. On two cores this
 * halves the time of the parse, the larger part of a first import.
 */
export function parseAhead(jobs: readonly AheadJob[]): ParseAhead {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './parse-worker.ts' : './parse-worker.js', import.meta.url);
  const workerData = { jobs, signal, port: port2 };
  // From source (tests, tsx) the worker is TypeScript: register tsx's loader in it first.
  const worker = fromSource
    ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData, transferList: [port2] })
    : new Worker(url, { workerData, transferList: [port2] });
  worker.on('error', () => undefined); // its files are then read by the main thread
  worker.unref();
  const ready = new Map<string, AheadPosted>();
  const waiting = new Set(jobs.map((j) => j.path));
  let dead = false;
  const drain = (port: MessagePort) => {
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
      const msg = m.message as AheadMessage;
      if ('error' in msg) waiting.delete(msg.path);
      else ready.set(msg.path, msg);
    }
  };
  return {
    take(path) {
      if (dead || !waiting.has(path)) return undefined;
      let since = Date.now();
      for (;;) {
        const seen = Atomics.load(signal, 0);
        drain(port1);
        const got = ready.get(path);
        if (got) {
          ready.delete(path);
          waiting.delete(path);
          return { from: got.from, end: got.end, bytes: got.bytes, items: JSON.parse(got.items) as unknown[] };
        }
        if (!waiting.has(path)) return undefined;
        if (Atomics.wait(signal, 0, seen, 1000) !== 'timed-out') since = Date.now();
        else if (Date.now() - since > STALL_MS) {
          dead = true;
          return undefined;
        }
      }
    },
    close() {
      port1.close();
      void worker.terminate();
    },
  };
}
