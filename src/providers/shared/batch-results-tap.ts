import { nothingMetered } from './metered.js';
import type { BatchResult, BatchResults, ResponseTap } from '../types.js';

/**
 * The tap for a batch's results (JSONL, one result per line, possibly hundreds of MB: an
 * Anthropic Message Batch's results, an OpenAI batch's output file): each chunk goes to the
 * client at once and unchanged, while the lines are read on the side, one at a time (a line
 * split across chunks is joined; no more than one line is ever held). `readLine` keeps each
 * succeeded request's usage (failed ones are not billed) for its own row
 * (src/metering/batch-results.ts). A last line cut short is not read.
 */
export function batchResultsTap(batchId: string, api: BatchResults['api'], readLine: (line: string) => BatchResult | undefined): ResponseTap {
  const results: BatchResult[] = [];
  const reader = new JsonlLines((line) => {
    const r = readLine(line);
    if (r !== undefined) results.push(r);
  });
  return {
    push(chunk, emit) {
      emit(chunk);
      reader.push(chunk);
    },
    finish(complete) {
      if (complete) reader.end();
      const m = nothingMetered(complete);
      m.batch = { batchId, api, results };
      return m;
    },
  };
}

/** Splits a byte stream into lines (LF; a CR before it is left to JSON, which reads it as whitespace), holding only the line in progress. */
export class JsonlLines {
  private pending: Buffer[] = [];
  private readonly onLine: (line: string) => void;

  constructor(onLine: (line: string) => void) {
    this.onLine = onLine;
  }

  push(chunk: Buffer): void {
    let from = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
      const piece = chunk.subarray(from, nl);
      if (this.pending.length === 0) this.line(piece);
      else {
        this.pending.push(piece);
        this.line(Buffer.concat(this.pending));
        this.pending = [];
      }
      from = nl + 1;
    }
    // Copied: the caller's chunk is not kept alive by a view into it.
    if (from < chunk.length) this.pending.push(Buffer.from(chunk.subarray(from)));
  }

  /** The stream ended: a last line without its newline is a line all the same. */
  end(): void {
    if (this.pending.length > 0) this.line(Buffer.concat(this.pending));
    this.pending = [];
  }

  private line(bytes: Buffer): void {
    const text = bytes.toString('utf8');
    if (text.trim() !== '') this.onLine(text);
  }
}

