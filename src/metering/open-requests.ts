import { closeSync, ftruncateSync, unlinkSync, writeSync } from 'node:fs';
import type { LedgerRow } from '../core/ledger-row.js';
import { type PriceFn, type RequestFacts, buildRow } from './build-row.js';
import { encodeRow } from './row-codec.js';
import { type RecoverOptions, deadJournalFiles, openJournalFile, readJournal, removeJournal, replayRows } from './spool.js';

/** The `error_type` of a request its gateway was still serving when the process died (kill -9, out of memory). */
export const GATEWAY_CRASHED = 'gateway_crashed';

/**
 * How often requests in flight are journaled. A request has to outlive one sweep to be
 * journaled, so a crash loses at most the requests begun this long before it; the long ones
 * (streams, agents' big turns), which cost the most, are all on file.
 */
const SWEEP_MS = 200;

/** Past this size the file is rewritten with the requests still open. */
const COMPACT_BYTES = 1024 * 1024;

interface Open {
  facts: RequestFacts;
  estimate: () => number | undefined;
  /** The row as last journaled, while it is in the file. */
  line: string | undefined;
  /** What the journaled row knew: written again once the upstream's answer adds to it. */
  status: number;
  upstreamRequestId: string | null;
}

export interface OpenRequestsOptions {
  sweepMs?: number;
  /** The file's size past which it is rewritten (COMPACT_BYTES by default). */
  compactBytes?: number;
  onError?: (err: unknown) => void;
  /**
   * Writes rows recorded but not yet journaled (the spool's pending write): run before rows
   * leave this file, so that a request's own row is on file before its stand-in is not.
   */
  beforeDrop?: () => void;
}

/**
 * The requests sent upstream and not yet recorded, journaled in the spool folder so that a
 * process killed outright still leaves a row for each: the next start records them as
 * `truncated` with `error_type` gateway_crashed and their input estimated, unless the request's
 * own row made it (storage keeps the first row of an id). Nothing is written on the request's
 * path: a timer journals what is open, and a file with nothing open in it is emptied.
 */
export class OpenRequests {
  private readonly open = new Map<string, Open>();
  /** Requests whose row is in the file and still open. */
  private journaled = 0;
  private file: { fd: number; path: string } | undefined;
  private size = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly dir: string;
  private readonly price: PriceFn;
  private readonly onError: (err: unknown) => void;
  private readonly beforeDrop: () => void;
  private readonly compactBytes: number;

  constructor(dir: string, price: PriceFn, o: OpenRequestsOptions = {}) {
    this.dir = dir;
    this.price = price;
    this.onError = o.onError ?? (() => undefined);
    this.beforeDrop = o.beforeDrop ?? (() => undefined);
    this.compactBytes = o.compactBytes ?? COMPACT_BYTES;
    this.timer = setInterval(() => this.sweep(), o.sweepMs ?? SWEEP_MS);
    this.timer.unref();
  }

  /** A request is going upstream; `estimate` gives its input tokens should it never finish. */
  add(facts: RequestFacts, estimate: () => number | undefined): void {
    this.open.set(facts.id, { facts, estimate, line: undefined, status: facts.status, upstreamRequestId: facts.upstreamRequestId });
  }

  /** The request's own row is recorded (called for every row; unknown ids are ignored). */
  closed(id: string): void {
    const o = this.open.get(id);
    if (o === undefined) return;
    this.open.delete(id);
    if (o.line !== undefined) this.journaled--;
  }

  /** Journals the open requests not on file yet, or whose answer has begun since; empties or compacts the file. */
  sweep(): void {
    const fresh: Open[] = [];
    for (const o of this.open.values()) {
      const onFile = o.line !== undefined;
      if (onFile && o.status === o.facts.status && o.upstreamRequestId === o.facts.upstreamRequestId) continue;
      try {
        o.line = encodeRow(interruptedRow(o, this.price));
      } catch (err) {
        this.onError(err);
        continue;
      }
      if (!onFile) this.journaled++;
      o.status = o.facts.status;
      o.upstreamRequestId = o.facts.upstreamRequestId;
      fresh.push(o);
    }
    try {
      if (this.journaled === 0) return this.empty();
      if (fresh.length === 0) return;
      const text = fresh.length === 1 ? fresh[0]!.line! : fresh.map((o) => o.line!).join('');
      if (this.size + Buffer.byteLength(text) > this.compactBytes) this.rewrite();
      else this.append(text);
    } catch (err) {
      this.onError(err);
      // Not on file after all: tried again at the next sweep.
      for (const o of fresh) {
        o.line = undefined;
        this.journaled--;
      }
    }
  }

  /** Stops journaling; the file goes when nothing in it is open (a clean shutdown), or stays for the next start. */
  close(): void {
    clearInterval(this.timer);
    if (this.file === undefined) return;
    closeSync(this.file.fd);
    if (this.journaled === 0) unlinkSync(this.file.path);
    this.file = undefined;
  }

  private append(text: string): void {
    this.file ??= openJournalFile(this.dir, 'open');
    writeSync(this.file.fd, text);
    this.size += Buffer.byteLength(text);
  }

  private empty(): void {
    if (this.file === undefined || this.size === 0) return;
    this.beforeDrop();
    ftruncateSync(this.file.fd, 0);
    this.size = 0;
  }

  /** Writes the open requests' rows to a new file, then drops the old one (a crash between the two leaves both: the same rows twice, one kept). */
  private rewrite(): void {
    const lines: string[] = [];
    for (const o of this.open.values()) if (o.line !== undefined) lines.push(o.line);
    const text = lines.join('');
    const next = openJournalFile(this.dir, 'open');
    try {
      writeSync(next.fd, text);
    } catch (err) {
      closeSync(next.fd);
      unlinkSync(next.path);
      throw err;
    }
    const old = this.file;
    this.beforeDrop();
    this.file = next;
    this.size = Buffer.byteLength(text);
    if (old !== undefined) {
      closeSync(old.fd);
      unlinkSync(old.path);
    }
  }
}

/** The row a request gets when its process dies serving it: cut, with its input estimated when no usage came. */
export function interruptedRow(o: Pick<Open, 'facts' | 'estimate'>, price: PriceFn): LedgerRow {
  const f = o.facts;
  const known = f.usage.inputTokens + f.usage.outputTokens > 0;
  const estimate = known ? undefined : o.estimate();
  const facts: RequestFacts = {
    ...f,
    outcome: 'truncated',
    errorType: GATEWAY_CRASHED,
    latencyMs: Math.max(0, Date.now() - f.ts),
    usage: estimate === undefined ? f.usage : { ...f.usage, inputTokens: estimate },
    usageSource: estimate !== undefined ? 'estimated' : known ? 'partial' : f.usageSource,
    // Billed all the same when nothing says how much: unpriced, not free.
    billedWithoutUsage: f.billedWithoutUsage || (!known && estimate === undefined),
    prefix: undefined,
  };
  try {
    return buildRow(facts, price);
  } catch {
    return buildRow(facts, () => ({ costPicos: null, unpriced: true }));
  }
}

/**
 * Records the requests that processes no longer running were serving when they died, from their
 * `open` journals: after their spools are replayed, so that a request whose own row was written
 * keeps it. Returns how many requests got a row this way.
 */
export async function recoverOpenRequests(dir: string, insert: (rows: LedgerRow[]) => Promise<unknown>, o: RecoverOptions = {}): Promise<number> {
  let recorded = 0;
  for (const path of deadJournalFiles(dir, 'open')) {
    // A request journaled twice (its answer began after the first sweep) keeps its last row.
    const rows = new Map<string, LedgerRow>();
    for (const row of readJournal(path)) rows.set(row.id, row);
    recorded += (await replayRows([...rows.values()], insert, o)).inserted;
    removeJournal(path);
  }
  return recorded;
}
