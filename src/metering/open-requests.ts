import { closeSync, fstatSync, ftruncateSync, futimesSync, statSync } from 'node:fs';
import { makeDirs } from '../files/make-dirs.js';
import type { LedgerRow } from '../core/ledger-row.js';
import { USAGE_KEYS, hasTokens, zeroUsage } from '../core/usage.js';
import { type PriceFn, type RequestFacts, buildRow } from './build-row.js';
import { encodeRow } from './row-codec.js';
import { type InsertRows, type RecoverOptions, deadJournalFiles, openJournalFile, readJournal, removeJournal, replayRows, unlinkJournal, writeAllSync } from './journal-files.js';

/** The `error_type` of a request its gateway was still serving when the process died (kill -9, out of memory). */
export const GATEWAY_CRASHED = 'gateway_crashed';

/**
 * How often requests in flight are looked at, and how old one must be to be journaled. A crash
 * loses the requests begun less than this (up to twice this) before it; the long ones (streams,
 * agents' big turns), which cost the most, are all on file, and a busy gateway's short requests,
 * most of its traffic, finish before they are ever encoded.
 */
const SWEEP_MS = 100;

/** Past this size the file is rewritten with the requests still open. */
const COMPACT_BYTES = 1024 * 1024;

/** How often a journaled request's row is written again while its usage grows (a long stream's output). */
const REFRESH_MS = 1000;

/** What the file holds for a request still open: its row as journaled, and what that row knew. */
interface OnFile {
  line: string;
  /** Written again once the upstream's answer adds to it: its status and request id at once, */
  status: number;
  upstreamRequestId: string | null;
  /** and its usage so far at most every REFRESH_MS. */
  tokens: number;
  at: number;
}

export interface OpenRequestsOptions {
  sweepMs?: number;
  /** How long a request must have been open to be journaled (SWEEP_MS by default). */
  minAgeMs?: number;
  /** How often a journaled request is written again while its usage grows (REFRESH_MS by default). */
  refreshMs?: number;
  /** The file's size past which it is rewritten (COMPACT_BYTES by default). */
  compactBytes?: number;
  onError?: (err: unknown) => void;
  /** The first write that succeeds after one failed. */
  onRecovered?: () => void;
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
 * path: a timer journals what has been open for a while, and a file with nothing open in it is emptied.
 */
export class OpenRequests {
  /** The open requests, each at its `openSlot` (freed slots reused): no hashing, no object a request. */
  private readonly slots: (RequestFacts | undefined)[] = [];
  private readonly free: number[] = [];
  /** The open requests whose row is in the file. */
  private readonly onFile = new Map<RequestFacts, OnFile>();
  private file: { fd: number; path: string } | undefined;
  private size = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly dir: string;
  private readonly price: PriceFn;
  private readonly onError: (err: unknown) => void;
  private readonly onRecovered: () => void;
  private failing = false;
  private readonly beforeDrop: () => void;
  private readonly compactBytes: number;
  private readonly minAgeMs: number;
  private readonly refreshMs: number;

  constructor(dir: string, price: PriceFn, o: OpenRequestsOptions = {}) {
    this.dir = dir;
    this.price = price;
    this.onError = o.onError ?? (() => undefined);
    this.onRecovered = o.onRecovered ?? (() => undefined);
    this.beforeDrop = o.beforeDrop ?? (() => undefined);
    this.compactBytes = o.compactBytes ?? COMPACT_BYTES;
    this.minAgeMs = o.minAgeMs ?? SWEEP_MS;
    this.refreshMs = o.refreshMs ?? REFRESH_MS;
    this.timer = setInterval(() => this.sweep(), o.sweepMs ?? SWEEP_MS);
    this.timer.unref();
  }

  /** A request is going upstream; `facts.inputEstimate` gives its input tokens should it never finish. */
  add(facts: RequestFacts): void {
    const slot = this.free.length > 0 ? this.free.pop()! : this.slots.length;
    this.slots[slot] = facts;
    facts.openSlot = slot;
  }

  /** The request's own row is recorded (called for every row; requests never added are ignored). */
  closed(facts: RequestFacts): void {
    const slot = facts.openSlot;
    if (slot < 0 || this.slots[slot] !== facts) return;
    this.slots[slot] = undefined;
    this.free.push(slot);
    facts.openSlot = -1;
    if (this.onFile.size > 0) this.onFile.delete(facts);
  }

  /** Journals the open requests old enough and not on file yet, or whose answer has begun since; empties or compacts the file. */
  sweep(): void {
    const fresh: RequestFacts[] = [];
    const now = Date.now();
    const born = now - this.minAgeMs;
    for (const f of this.slots) {
      if (f === undefined) continue;
      const was = this.onFile.get(f);
      if (was === undefined && f.ts > born) continue;
      let tokens: number | undefined;
      if (was !== undefined && was.status === f.status && was.upstreamRequestId === f.upstreamRequestId) {
        if (now - was.at < this.refreshMs) continue;
        tokens = tokensSoFar(f);
        if (tokens === was.tokens) continue;
      }
      try {
        this.onFile.set(f, { line: encodeRow(interruptedRow(f, this.price)), status: f.status, upstreamRequestId: f.upstreamRequestId, tokens: tokens ?? tokensSoFar(f), at: now });
      } catch (err) {
        this.onError(err);
        continue;
      }
      fresh.push(f);
    }
    try {
      if (this.onFile.size === 0) return this.empty();
      if (fresh.length === 0) {
        // The file's time says until when its requests were still open: their latency at the next start.
        if (this.file !== undefined) futimesSync(this.file.fd, now / 1000, now / 1000);
        return;
      }
      const text = fresh.length === 1 ? this.onFile.get(fresh[0]!)!.line : fresh.map((f) => this.onFile.get(f)!.line).join('');
      // A file deleted under the gateway (its folder removed) would be written for nothing: a new one takes all the rows.
      if (this.size + Buffer.byteLength(text) > this.compactBytes || this.failing || (this.file !== undefined && fstatSync(this.file.fd).nlink === 0)) this.rewrite();
      else this.append(text);
      if (this.failing) {
        this.failing = false;
        this.onRecovered();
      }
    } catch (err) {
      this.failing = true;
      this.onError(err);
      // Not on file after all: tried again at the next sweep.
      for (const f of fresh) this.onFile.delete(f);
    }
  }

  /** Stops journaling; the file goes when nothing in it is open (a clean shutdown), or stays for the next start. */
  close(): void {
    clearInterval(this.timer);
    if (this.file === undefined) return;
    const { fd, path } = this.file;
    this.file = undefined;
    try {
      closeSync(fd);
      if (this.onFile.size === 0) unlinkJournal(path);
    } catch (err) {
      // Shutdown goes on: at worst the next start reads a file whose requests have their rows.
      this.onError(err);
    }
  }

  private append(text: string): void {
    this.file ??= openJournalFile(this.dir, 'open');
    this.size += writeAllSync(this.file.fd, text);
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
    for (const o of this.onFile.values()) lines.push(o.line);
    const text = lines.join('');
    makeDirs(this.dir);
    const next = openJournalFile(this.dir, 'open');
    try {
      writeAllSync(next.fd, text);
    } catch (err) {
      closeSync(next.fd);
      unlinkJournal(next.path);
      throw err;
    }
    const old = this.file;
    this.beforeDrop();
    this.file = next;
    this.size = Buffer.byteLength(text);
    if (old !== undefined) {
      closeSync(old.fd);
      removeJournal(old.path);
    }
  }
}

/**
 * The row a request gets when its process dies serving it: cut, with its input estimated when no
 * usage came. Built from the live facts, their fields set for the call and put back after (all
 * synchronous): a copy, an object of another shape, would make the hot path's `buildRow` see two.
 */
export function interruptedRow(f: RequestFacts, price: PriceFn): LedgerRow {
  // Usage the answer already reported (Anthropic's input at message_start, Gemini's running totals) beats an estimate.
  const reported = hasTokens(f.usage);
  const live = reported ? undefined : f.liveTap?.usageSoFar?.();
  const known = reported || live !== undefined;
  const estimate = known ? undefined : f.inputEstimate?.();
  // The text streamed so far was billed as output, more than a count at the stream's start (Anthropic's message_start says 1), as settle reckons a cut stream.
  const streamed = f.liveTap?.outputSoFar?.();
  const { outcome, errorType, latencyMs, usage, usageSource, billedWithoutUsage } = f;
  try {
    f.outcome = 'truncated';
    f.errorType = GATEWAY_CRASHED;
    f.latencyMs = Math.max(0, Date.now() - f.ts);
    const output = streamed !== undefined && streamed > (live ?? usage).outputTokens ? streamed : undefined;
    if (live !== undefined || estimate !== undefined || output !== undefined) {
      f.usage = zeroUsage();
      for (const k of USAGE_KEYS) f.usage[k] = (live ?? usage)[k];
      if (estimate !== undefined) f.usage.inputTokens = estimate;
      if (output !== undefined) f.usage.outputTokens = output;
    }
    f.usageSource = estimate !== undefined || (!known && output !== undefined) ? 'estimated' : known ? 'partial' : usageSource;
    // Billed all the same when nothing says how much: unpriced, not free.
    f.billedWithoutUsage = billedWithoutUsage || (!known && estimate === undefined);
    try {
      return buildRow(f, price);
    } catch {
      return buildRow(f, () => ({ costPicos: null, unpriced: true }));
    }
  } finally {
    Object.assign(f, { outcome, errorType, latencyMs, usage, usageSource, billedWithoutUsage });
  }
}

/** The tokens a request's answer has reported so far, and the output its streamed text comes to (0 when none). */
function tokensSoFar(f: RequestFacts): number {
  const u = f.liveTap?.usageSoFar?.();
  return (u === undefined ? 0 : u.inputTokens + u.outputTokens) + (f.liveTap?.outputSoFar?.() ?? 0);
}

/**
 * Records the requests that processes no longer running were serving when they died, from their
 * `open` journals: after their spools are replayed, so that a request whose own row was written
 * keeps it. Returns how many requests got a row this way.
 */
export async function recoverOpenRequests(dir: string, insert: InsertRows, o: RecoverOptions = {}): Promise<number> {
  let recorded = 0;
  for (const path of deadJournalFiles(dir, 'open')) {
    // A request journaled twice (its answer began after the first sweep) keeps its last row.
    const rows = new Map<string, LedgerRow>();
    // Touched at each sweep while it held open requests: they were open until then at least.
    const openUntil = statSync(path).mtimeMs;
    for (const row of await readJournal(path)) rows.set(row.id, { ...row, latencyMs: Math.max(row.latencyMs, Math.round(openUntil - row.ts)) });
    recorded += (await replayRows([...rows.values()], insert, o)).inserted;
    removeJournal(path);
  }
  return recorded;
}
