import { nothingMetered } from './metered.js';
import type { BatchResult, BatchResults, ResponseTap } from '../types.js';

/**
 * The tap for a batch's results (JSONL, one result per line, possibly hundreds of MB: an
 * Anthropic Message Batch's results, an OpenAI batch's output file): each chunk goes to the
 * client at once and unchanged, while the lines are read on the side, one at a time (a line
 * split across chunks is joined; no more than one line is ever held). `readLine` keeps each
 * succeeded request's usage (failed ones are not billed) for its own row
 * (src/metering/batch-results.ts), and the answer names the containers their code ran in
 * (`containers`, for the batch's owner; as are what the provider keeps of each, BatchResult.stored).
 * A last line cut short is not read.
 */
export function batchResultsTap(batchId: string, api: BatchResults['api'], readLine: (line: string) => BatchResult | undefined): ResponseTap {
  const reader = new ResultLines(readLine);
  return {
    push(chunk, emit) {
      emit(chunk);
      reader.push(chunk);
    },
    finish(complete) {
      if (complete) reader.end();
      const m = nothingMetered(complete);
      m.batch = { batchId, api, results: reader.results, complete };
      const containers = batchContainers(reader.results);
      if (containers.length > 0) m.containers = containers;
      return m;
    },
  };
}

/** Containers recorded from one batch's results, at most: a batch holds up to 50,000 requests (OpenAI's limit), each running code in one. */
export const MAX_BATCH_CONTAINERS = 50_000;

/** The containers a batch's results say its requests ran code in (the first MAX_BATCH_CONTAINERS): the batch owner's, as a request's own answer makes them its caller's. */
export function batchContainers(results: readonly BatchResult[]): string[] {
  const found = new Set<string>();
  for (const r of results) {
    for (const c of r.containers ?? []) {
      if (found.size >= MAX_BATCH_CONTAINERS) return [...found];
      found.add(c);
    }
  }
  return [...found];
}

/** Stored Responses, their items and chat completions recorded from one batch's results, at most: every request's own (50,000), then items while there is room. */
export const MAX_BATCH_STORED = 50_000;

/**
 * What the provider keeps of a batch's results (BatchResult.stored), the batch owner's: each
 * Response's or chat completion's own id first, then the Responses' items, the first MAX_BATCH_STORED.
 */
export function batchStored(results: readonly BatchResult[]): string[] {
  const found = new Set<string>();
  for (const r of results) if (r.stored !== undefined && r.stored.length > 0 && found.size < MAX_BATCH_STORED) found.add(r.stored[0]!);
  for (const r of results) {
    for (const id of r.stored?.slice(1) ?? []) {
      if (found.size >= MAX_BATCH_STORED) return [...found];
      found.add(id);
    }
  }
  return [...found];
}

/** A batch's results read from its bytes as they come: what `readLine` keeps of each line, in order. */
export class ResultLines {
  readonly results: BatchResult[] = [];
  private readonly lines: JsonlLines;

  constructor(readLine: (line: string) => BatchResult | undefined) {
    this.lines = new JsonlLines((line) => {
      const r = readLine(line);
      if (r !== undefined) this.results.push(r);
    });
  }

  push(chunk: Buffer): void {
    this.lines.push(chunk);
  }

  /** The bytes ended: a last line without its newline is read too. */
  end(): void {
    this.lines.end();
  }
}

/** The longest line read: a batch's result is far shorter; a file that is not JSONL (no newline for megabytes) is not held whole. */
export const MAX_LINE_BYTES = 32 * 1024 * 1024;

/**
 * Splits a byte stream into lines (LF; a CR before it is left to JSON, which reads it as
 * whitespace), holding only the line in progress; a line longer than `maxLine` bytes is
 * skipped, not held. `onLine` gets each line that is not blank, with its number (from 1,
 * blank and skipped lines counted).
 */
export class JsonlLines {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** In a line too long to hold: its bytes are dropped until its newline. */
  private skipping = false;
  private count = 0;
  private readonly onLine: (line: string, n: number) => void;
  private readonly maxLine: number;

  constructor(onLine: (line: string, n: number) => void, maxLine = MAX_LINE_BYTES) {
    this.onLine = onLine;
    this.maxLine = maxLine;
  }

  push(chunk: Buffer): void {
    let from = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
      const piece = chunk.subarray(from, nl);
      this.count++;
      if (this.skipping) this.skipping = false;
      else if (this.pending.length === 0) this.line(piece);
      else if (this.pendingBytes + piece.length <= this.maxLine) {
        this.pending.push(piece);
        this.line(Buffer.concat(this.pending));
      }
      this.pending = [];
      this.pendingBytes = 0;
      from = nl + 1;
    }
    if (from >= chunk.length || this.skipping) return;
    if (this.pendingBytes + chunk.length - from > this.maxLine) {
      this.pending = [];
      this.pendingBytes = 0;
      this.skipping = true;
      return;
    }
    // Copied: the caller's chunk is not kept alive by a view into it.
    this.pending.push(Buffer.from(chunk.subarray(from)));
    this.pendingBytes += chunk.length - from;
  }

  /** The stream ended: a last line without its newline is a line all the same. */
  end(): void {
    if (this.pending.length > 0 || this.skipping) this.count++;
    if (this.pending.length > 0) this.line(Buffer.concat(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
  }

  private line(bytes: Buffer): void {
    if (bytes.length > this.maxLine) return;
    const text = bytes.toString('utf8');
    if (text.trim() !== '') this.onLine(text, this.count);
  }
}
