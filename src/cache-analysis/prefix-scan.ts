import { decodePrefix } from './prefix.js';

/** Block kinds as stored in `PrefixScan.kinds`. */
export const KIND_TOOL = 1;
export const KIND_SYSTEM = 2;
export const KIND_MESSAGE = 3;
const KIND_OTHER = 4;

/**
 * A stored prefix (prefix.ts's JSON) read into reusable typed arrays: per block its kind, its
 * identity, its tokens and the running hash of blocks 0..i. The analyser reads one a row, and
 * `JSON.parse` with its arrays of arrays, then two `parseInt`s a block, cost more than the rest
 * of the analysis together. The stored form as encodePrefix writes it is read by a scanner;
 * anything else (another key order, a non-hex hash) falls back to decodePrefix, with the same
 * results.
 */
export class PrefixScan {
  /** Stored blocks. */
  len = 0;
  /** Leading tool and system blocks. */
  staticLen = 0;
  /** Texts the scanner left to decodePrefix. */
  fallbacks = 0;
  /** The last explicit breakpoint's block position, -1 when there is none. */
  lastBp = -1;
  bpCount = 0;
  /** Approximate tokens of every block, stored or not. */
  e = 0;
  kinds = new Uint8Array(128);
  /** A block's identity: its hash's two 32-bit halves, or an interned id (negative) for a hash that is not 16 hex digits. */
  idA = new Float64Array(128);
  idB = new Float64Array(128);
  tokens = new Float64Array(128);
  /** Running hash of blocks 0..i (53 bits). */
  cum = new Float64Array(128);
  private readonly interned = new Map<string, number>();
  /** The integer `int` read last. */
  private num = 0;
  /** Per thread, its latest call's blocks as text and as read; the least recently used dropped first. */
  private readonly threads = new Map<string, Known>();

  /**
   * Reads `text`; false when it holds no prefix the analyser understands (as decodePrefix's
   * undefined). `thread` (a session) names a run of calls that mostly extend one another's
   * prefix: the blocks a call shares, character for character, with the thread's previous call
   * are taken from that call's reading rather than scanned again.
   */
  read(text: string | null | undefined, thread?: string | null): boolean {
    if (!text) return false;
    this.reset();
    if (this.scan(text, thread ?? undefined)) return true;
    this.reset();
    this.fallbacks++;
    return this.fallback(text);
  }

  /** Reads the stored form as encodePrefix writes it, in one pass over its characters; false for anything else. */
  private scan(t: string, thread: string | undefined): boolean {
    let i = HEAD.length;
    if (!t.startsWith(HEAD)) return false;
    // n: blocks in the prompt, which the analyser does not use.
    let c = t.charCodeAt(i);
    while (c >= 48 && c <= 57) c = t.charCodeAt(++i);
    if (!t.startsWith(BLOCKS, i)) return false;
    i += BLOCKS.length;
    const from = i;
    let x = 0x811c9dc5;
    let y = 0x01000193;
    let more = t.charCodeAt(i) !== 93; /* ] */
    const known = thread === undefined ? undefined : this.threads.get(thread);
    if (known && t.slice(from, from + known.blocks.length) === known.blocks) {
      const c = t.charCodeAt(from + known.blocks.length);
      if (c === 44 || c === 93) {
        this.restore(known);
        ({ x, y } = known);
        // Past the comma before the next block, or at the bracket that closes the blocks.
        i = from + known.blocks.length + (c === 44 ? 1 : 0);
        more = c === 44;
      }
    }
    if (more) {
      for (;;) {
        // ["k","<16 hex>",<tokens>] or with a fourth element, the block's text.
        if (t.charCodeAt(i) !== 91 || t.charCodeAt(i + 1) !== 34 || t.charCodeAt(i + 3) !== 34 || t.charCodeAt(i + 4) !== 44 || t.charCodeAt(i + 5) !== 34) return false;
        const kind = kindOf(t.charCodeAt(i + 2));
        if (kind === KIND_OTHER) return false;
        i += 6;
        let a = 0;
        let b = 0;
        for (let k = 0; k < 16; k++) {
          const h = t.charCodeAt(i + k);
          const d = h >= 48 && h <= 57 ? h - 48 : h >= 97 && h <= 102 ? h - 87 : -1;
          if (d < 0) return false;
          if (k < 8) a = (a << 4) | d;
          else b = (b << 4) | d;
        }
        i += 16;
        if (t.charCodeAt(i) !== 34 || t.charCodeAt(i + 1) !== 44) return false;
        i += 2;
        i = this.int(t, i);
        if (i < 0) return false;
        const tokens = this.num;
        c = t.charCodeAt(i);
        if (c === 44) {
          i = skipString(t, i + 1);
          if (i < 0) return false;
          c = t.charCodeAt(i);
        }
        if (c !== 93) return false;
        i++;
        x = mix(x ^ a, 0x9e3779b1);
        y = mix(y ^ b, 0x85ebca77);
        this.push(kind, a >>> 0, b >>> 0, tokens, x, y);
        if (t.charCodeAt(i) !== 44) break;
        i++;
      }
    }
    const blocksEnd = i;
    if (!t.startsWith(BREAKPOINTS, i)) return false;
    i += BREAKPOINTS.length;
    if (t.charCodeAt(i) !== 93) {
      for (;;) {
        if (t.charCodeAt(i) !== 91) return false;
        i = this.int(t, i + 1);
        if (i < 0 || t.charCodeAt(i) !== 44) return false;
        const pos = this.num;
        i = skipString(t, i + 1);
        if (i < 0 || t.charCodeAt(i) !== 93) return false;
        i++;
        this.lastBp = pos;
        this.bpCount++;
        if (t.charCodeAt(i) !== 44) break;
        i++;
      }
    }
    if (!t.startsWith(ESTIMATE, i)) return false;
    i += ESTIMATE.length;
    i = this.int(t, i);
    if (i < 0 || t.charCodeAt(i) !== 125 /* } */ || i + 1 !== t.length) return false;
    this.e = this.num;
    if (thread !== undefined && this.len > 0) this.keep(thread, t.slice(from, blocksEnd), x, y);
    return true;
  }

  /** Reads the integer at `i` into `num`: where it ends, or -1 unless it is one as JSON writes it (no leading zero), exact in a double. */
  private int(t: string, i: number): number {
    const from = i;
    let v = 0;
    let c = t.charCodeAt(i);
    while (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      c = t.charCodeAt(++i);
    }
    const digits = i - from;
    if (digits === 0 || digits > 15 || (digits > 1 && t.charCodeAt(from) === 48)) return -1;
    this.num = v;
    return i;
  }

  /** Keeps this reading as the thread's latest, the oldest thread forgotten beyond THREADS. */
  private keep(thread: string, blocks: string, x: number, y: number): void {
    const n = this.len;
    let k = this.threads.get(thread);
    if (k) this.threads.delete(thread);
    else if (this.threads.size >= THREADS) {
      const oldest = this.threads.keys().next().value!;
      k = this.threads.get(oldest);
      this.threads.delete(oldest);
    }
    if (!k || k.cum.length < n) {
      const size = Math.max(n, 64);
      k = { blocks, x, y, len: n, staticLen: 0, kinds: new Uint8Array(size), idA: new Float64Array(size), idB: new Float64Array(size), tokens: new Float64Array(size), cum: new Float64Array(size) };
    }
    k.blocks = blocks;
    k.x = x;
    k.y = y;
    k.len = n;
    k.staticLen = this.staticLen;
    copyBlocks(this, k, n);
    this.threads.set(thread, k);
  }

  private restore(k: Known): void {
    while (this.kinds.length < k.len) this.grow();
    const n = k.len;
    this.len = n;
    this.staticLen = k.staticLen;
    copyBlocks(k, this, n);
  }

  /** The analyser's reading before the scanner, kept for stored prefixes the scanner does not take. */
  private fallback(text: string): boolean {
    const p = decodePrefix(text);
    if (!p) return false;
    let x = 0x811c9dc5;
    let y = 0x01000193;
    for (const [kind, h, tokens] of p.b) {
      x = mix(x ^ parseInt(h.slice(0, 8), 16), 0x9e3779b1);
      y = mix(y ^ parseInt(h.slice(8, 16), 16), 0x85ebca77);
      const [a, b] = HEX16.test(h) ? [parseInt(h.slice(0, 8), 16), parseInt(h.slice(8, 16), 16)] : [this.intern(h), 0];
      this.push(kind === 't' ? KIND_TOOL : kind === 's' ? KIND_SYSTEM : kind === 'm' ? KIND_MESSAGE : KIND_OTHER, a, b, tokens, x, y);
    }
    const last = p.bp.at(-1)?.[0];
    this.lastBp = last ?? -1;
    this.bpCount = p.bp.length;
    this.e = p.e;
    return true;
  }

  private reset(): void {
    this.len = 0;
    this.staticLen = 0;
    this.bpCount = 0;
    this.lastBp = -1;
    this.e = 0;
  }

  private push(kind: number, a: number, b: number, tokens: number, x: number, y: number): void {
    const i = this.len++;
    if (i === this.kinds.length) this.grow();
    if (kind !== KIND_MESSAGE && this.staticLen === i) this.staticLen++;
    this.kinds[i] = kind;
    this.idA[i] = a;
    this.idB[i] = b;
    this.tokens[i] = tokens;
    this.cum[i] = (x >>> 0) * 2 ** 21 + (y >>> 11);
  }

  private grow(): void {
    const n = this.kinds.length * 2;
    const more = <T extends Uint8Array | Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.kinds = more(this.kinds, (k) => new Uint8Array(k));
    this.idA = more(this.idA, (k) => new Float64Array(k));
    this.idB = more(this.idB, (k) => new Float64Array(k));
    this.tokens = more(this.tokens, (k) => new Float64Array(k));
    this.cum = more(this.cum, (k) => new Float64Array(k));
  }

  private intern(h: string): number {
    let id = this.interned.get(h);
    if (id === undefined) this.interned.set(h, (id = -1 - this.interned.size));
    return id;
  }
}

/** A thread's latest call: its blocks' text, the running hash state after them, and the arrays read from them. */
interface Known {
  blocks: string;
  x: number;
  y: number;
  len: number;
  staticLen: number;
  kinds: Uint8Array;
  idA: Float64Array;
  idB: Float64Array;
  tokens: Float64Array;
  cum: Float64Array;
}

type Blocks = Pick<Known, 'kinds' | 'idA' | 'idB' | 'tokens' | 'cum'>;

/** The first `n` blocks' arrays from one reading to another. */
function copyBlocks(from: Blocks, to: Blocks, n: number): void {
  to.kinds.set(from.kinds.subarray(0, n));
  to.idA.set(from.idA.subarray(0, n));
  to.idB.set(from.idB.subarray(0, n));
  to.tokens.set(from.tokens.subarray(0, n));
  to.cum.set(from.cum.subarray(0, n));
}

/** Threads remembered at once: enough for the sessions active together on a busy gateway. */
const THREADS = 4096;
const HEX16 = /^[0-9a-f]{16}$/;
const HEAD = '{"v":1,"n":';
const BLOCKS = ',"b":[';
const BREAKPOINTS = '],"bp":[';
const ESTIMATE = '],"e":';


/** Past the JSON string at `i`; -1 when there is none, or JSON.parse would refuse it (a bad escape, a raw control character). */
function skipString(t: string, i: number): number {
  if (t.charCodeAt(i) !== 34) return -1;
  for (i++; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c < 32) return -1;
    if (c === 92) {
      const e = t.charCodeAt(++i);
      if (e === 117 /* u */) {
        if (!/^[0-9a-fA-F]{4}$/.test(t.slice(i + 1, i + 5))) return -1;
        i += 4;
      } else if (!ESCAPES.includes(e)) return -1;
    }
  }
  return -1;
}

/** The characters JSON allows after a backslash, but u: " \\ / b f n r t. */
const ESCAPES = [34, 92, 47, 98, 102, 110, 114, 116];

function kindOf(c: number): number {
  return c === 116 ? KIND_TOOL : c === 115 ? KIND_SYSTEM : c === 109 ? KIND_MESSAGE : KIND_OTHER;
}

export function mix(v: number, k: number): number {
  let h = Math.imul(v, k);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d);
}
