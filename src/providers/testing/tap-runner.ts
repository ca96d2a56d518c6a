/** Test support: reads fixtures and drives taps. Not used by the gateway itself. */
import { readFileSync } from 'node:fs';
import { parseSse } from '../../sse/parser.js';
import type { Metered, ResponseTap } from '../types.js';

/** Returns a reader for the `fixtures/` folder next to the calling test (`import.meta.url`). */
export function fixtures(testUrl: string): (name: string) => Buffer {
  return (name) => readFileSync(new URL(`./fixtures/${name}`, testUrl));
}

export interface TapRun {
  /** Everything the tap emitted, concatenated. */
  bytes: Buffer;
  /** The separate emit calls, in order. */
  emits: Buffer[];
  /** What each push (then the finish) emitted, joined: what the relay writes per upstream chunk. */
  pushes: Buffer[];
  metered: Metered;
}

/** Pushes `chunks` through the tap and finishes it. */
export function runTap(tap: ResponseTap, chunks: readonly Buffer[], complete = true): TapRun {
  const emits: Buffer[] = [];
  const pushes: Buffer[] = [];
  let from = 0;
  const emit = (bytes: Buffer): void => {
    emits.push(Buffer.from(bytes));
  };
  const joinSince = () => {
    pushes.push(Buffer.concat(emits.slice(from)));
    from = emits.length;
  };
  for (const chunk of chunks) {
    // A copy, as a socket hands over fresh bytes: a rewriting tap may edit its chunk in place.
    tap.push(Buffer.from(chunk), emit);
    joinSince();
  }
  const metered = tap.finish(complete, emit);
  joinSince();
  return { bytes: Buffer.concat(emits), emits, pushes, metered };
}

/** Splits `buf` at the given offsets (taken modulo its length, deduplicated). */
export function splitAt(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

/**
 * Splits an SSE body only between events (after the blank line that ends one), at the
 * boundaries `picks` choose: chunks of whole events, as upstreams usually write them.
 */
export function splitBetweenEvents(buf: Buffer, picks: readonly number[]): Buffer[] {
  const bounds: number[] = [];
  for (const { raw } of parseSse(buf)) bounds.push((bounds.at(-1) ?? 0) + raw.length);
  return splitAt(buf, bounds.length === 0 ? [] : picks.map((p) => bounds[p % bounds.length]!));
}

/** Splits `buf` into pieces of `size` bytes. */
export function everyNBytes(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}
