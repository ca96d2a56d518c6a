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

  /** Reads `text`; false when it holds no prefix the analyser understands (as decodePrefix's undefined). */
  read(text: string | null | undefined): boolean {
    if (!text) return false;
    this.reset();
    if (this.scan(text)) return true;
    this.reset();
    return this.fallback(text);
  }

  /** Reads the stored form as encodePrefix writes it, in one pass over its characters; false for anything else. */
  private scan(t: string): boolean {
    let i = HEAD.length;
    if (!t.startsWith(HEAD)) return false;
    // n: blocks in the prompt, which the analyser does not use.
    let c = t.charCodeAt(i);
    while (c >= 48 && c <= 57) c = t.charCodeAt(++i);
    if (!t.startsWith(BLOCKS, i)) return false;
    i += BLOCKS.length;
    let x = 0x811c9dc5;
    let y = 0x01000193;
    if (t.charCodeAt(i) !== 93 /* ] */) {
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
        const from = i;
        let tokens = 0;
        c = t.charCodeAt(i);
        while (c >= 48 && c <= 57) {
          tokens = tokens * 10 + (c - 48);
          c = t.charCodeAt(++i);
        }
        if (!plainInt(t, from, i)) return false;
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
    if (!t.startsWith(BREAKPOINTS, i)) return false;
    i += BREAKPOINTS.length;
    if (t.charCodeAt(i) !== 93) {
      for (;;) {
        if (t.charCodeAt(i) !== 91) return false;
        const from = ++i;
        let pos = 0;
        c = t.charCodeAt(i);
        while (c >= 48 && c <= 57) {
          pos = pos * 10 + (c - 48);
          c = t.charCodeAt(++i);
        }
        if (!plainInt(t, from, i) || c !== 44) return false;
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
    const from = i;
    let e = 0;
    c = t.charCodeAt(i);
    while (c >= 48 && c <= 57) {
      e = e * 10 + (c - 48);
      c = t.charCodeAt(++i);
    }
    if (!plainInt(t, from, i) || c !== 125 /* } */ || i + 1 !== t.length) return false;
    this.e = e;
    return true;
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

const HEX16 = /^[0-9a-f]{16}$/;
const HEAD = '{"v":1,"n":';
const BLOCKS = ',"b":[';
const BREAKPOINTS = '],"bp":[';
const ESTIMATE = '],"e":';

/** Digits from..to form an integer as JSON writes it (no leading zero), exact in a double. */
function plainInt(t: string, from: number, to: number): boolean {
  const digits = to - from;
  return digits > 0 && digits <= 15 && (digits === 1 || t.charCodeAt(from) !== 48);
}

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
