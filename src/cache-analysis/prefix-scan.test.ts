import { describe, expect, it } from 'vitest';
import { rng } from '../storage/testing/rows.js';
import { type PrefixRecord, decodePrefix, encodePrefix, hashPrefix } from './prefix.js';
import { PrefixScan, mix } from './prefix-scan.js';

/** What the analyser computed from a stored prefix before the scanner: decodePrefix, then two parseInts a block. */
function reference(text: string) {
  const p = decodePrefix(text);
  if (!p) return undefined;
  const cum: number[] = [];
  let staticLen = 0;
  let x = 0x811c9dc5;
  let y = 0x01000193;
  for (const [kind, h] of p.b) {
    x = mix(x ^ parseInt(h.slice(0, 8), 16), 0x9e3779b1);
    y = mix(y ^ parseInt(h.slice(8, 16), 16), 0x85ebca77);
    cum.push((x >>> 0) * 2 ** 21 + (y >>> 11));
    if (kind !== 'm' && staticLen === cum.length - 1) staticLen++;
  }
  return { len: p.b.length, staticLen, cum, tokens: p.b.map((b) => b[2]), hashes: p.b.map((b) => b[1]), lastBp: p.bp.at(-1)?.[0] ?? -1, bpCount: p.bp.length, e: p.e };
}

function read(scan: PrefixScan, text: string, thread?: string) {
  if (!scan.read(text, thread)) return undefined;
  const n = scan.len;
  return {
    len: n,
    staticLen: scan.staticLen,
    cum: [...scan.cum.subarray(0, n)],
    tokens: [...scan.tokens.subarray(0, n)],
    ids: Array.from({ length: n }, (_, i) => `${scan.idA[i]}:${scan.idB[i]}`),
    lastBp: scan.lastBp,
    bpCount: scan.bpCount,
    e: scan.e,
  };
}

function randomRecord(r: () => number, i: number): PrefixRecord {
  const n = 1 + Math.floor(r() * 20) + (i % 25 === 0 ? 200 : 0);
  const hex = () => Math.floor(r() * 2 ** 32).toString(16).padStart(8, '0');
  const b = Array.from({ length: n }, (_, k) => {
    const kind = k < 3 && r() < 0.8 ? (r() < 0.5 ? 't' : 's') : 'm';
    const hash = r() < 0.7 ? '00000000ffffffff' : hex() + hex();
    return [kind, hash, Math.floor(r() * 5000)] as [('t' | 's' | 'm'), string, number];
  });
  const bp: [number, string][] = r() < 0.3 ? [] : [[Math.floor(r() * n), 'default'], [n - 1, r() < 0.5 ? '1h' : 'auto']];
  return { v: 1, n: n + Math.floor(r() * 3), b, bp, e: b.reduce((s, x) => s + x[2], 0) };
}

describe('PrefixScan', () => {
  it('reads what the gateway stores as decodePrefix and the old running hashes did, block for block', () => {
    const scan = new PrefixScan();
    const r = rng(11);
    for (let i = 0; i < 500; i++) {
      const text = encodePrefix(randomRecord(r, i));
      const want = reference(text)!;
      const got = read(scan, text)!;
      expect({ ...got, ids: undefined }).toEqual({ ...want, hashes: undefined, ids: undefined });
      // Two blocks have the same identity exactly when their hashes are the same.
      const same = (xs: string[]) => xs.map((x) => xs.map((y) => x === y));
      expect(same(got.ids)).toEqual(same(want.hashes));
    }
    expect(scan.fallbacks).toBe(0);
  });

  it('reads a session\'s calls the same whether or not it reuses the blocks a call shares with the one before', () => {
    const r = rng(5);
    const threaded = new PrefixScan();
    const fresh = new PrefixScan();
    let rec = randomRecord(r, 1);
    for (let i = 0; i < 400; i++) {
      const b = [...rec.b];
      const roll = r();
      if (roll < 0.5) b.push(['m', '0123456789abcdef', Math.floor(r() * 300)]);
      else if (roll < 0.6) b[Math.floor(r() * b.length)] = ['s', 'fedcba9876543210', 7];
      // Only the last block's token count grows a digit: its text starts like the one before, but is another block.
      else if (roll < 0.7 && b.length > 0) b[b.length - 1] = [b.at(-1)![0], b.at(-1)![1], b.at(-1)![2] * 10 + 1];
      else if (roll < 0.8) b.pop();
      else if (roll < 0.85) b.length = 0;
      rec = { ...rec, n: b.length, b, e: b.reduce((n, x) => n + x[2], 0) };
      const text = encodePrefix(rec);
      // Threads share one reader: a call is checked against its own thread's previous call only.
      const thread = `s${i % 3}`;
      expect(read(threaded, text, thread)).toEqual(read(fresh, text));
      const { hashes: _, ...want } = reference(text)!;
      expect(read(threaded, text, thread)).toMatchObject(want);
    }
    // All of them scanned, none left to JSON.parse.
    expect(threaded.fallbacks + fresh.fallbacks).toBe(0);
  });

  it('hashes real requests the same way, with their texts kept (escapes and all)', () => {
    const body = {
      tools: [{ name: 'read', description: 'Reads "a file".\n\tTabs, \\ slashes, ünïcödé and \u0001 control', input_schema: { type: 'object' } }],
      system: [{ type: 'text', text: 'You are "careful".' }, { type: 'text', text: 'Today is 2026-12-02.', cache_control: { type: 'ephemeral', ttl: '1h' } }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi 😀', cache_control: { type: 'ephemeral' } }] }],
    };
    const scan = new PrefixScan();
    for (const storeText of [false, true]) {
      const text = encodePrefix(hashPrefix('anthropic.messages', body, storeText)!);
      const want = reference(text)!;
      expect(read(scan, text)).toMatchObject({ len: want.len, staticLen: 3, cum: want.cum, tokens: want.tokens, lastBp: 3, bpCount: 2, e: want.e });
    }
  });

  it('falls back to decodePrefix for any other form, with the same answers', () => {
    const scan = new PrefixScan();
    const cases = [
      // Another key order, spaces, a float, a non-hex or upper-case hash: JSON that the scanner does not take.
      '{"n":2,"v":1,"b":[["s","0123456789abcdef",10],["m","0123456789abcdef",5]],"bp":[],"e":15}',
      '{"v":1, "n":1,"b":[["s","0123456789abcdef",10]],"bp":[],"e":10}',
      '{"v":1,"n":1,"b":[["s","0123456789abcdef",10]],"bp":[],"e":10} ',
      '{"v":1,"n":1,"b":[["s","0123456789abcdef",1.5]],"bp":[[0,"default"]],"e":2}',
      '{"v":1,"n":2,"b":[["t","h1",10],["x","0123456789ABCDEF",3]],"bp":[[1,"default"]],"e":13}',
    ];
    for (const text of cases) {
      const { hashes: _, ...want } = reference(text)!;
      expect(read(scan, text)).toMatchObject(want);
    }
    expect(scan.fallbacks).toBe(cases.length);
    // Identities still follow the hash strings: "h1" is not "0123456789abcdef", nor an upper-case spelling of it.
    const ids = read(scan, '{"v":1,"n":3,"b":[["t","h1",1],["t","0123456789ABCDEF",1],["t","0123456789abcdef",1]],"bp":[],"e":3}')!.ids;
    expect(new Set(ids).size).toBe(3);
    expect(read(scan, '{"v":1,"n":1,"b":[["t","0123456789abcdef",1]],"bp":[],"e":1}')!.ids[0]).toBe(ids[2]);
  });

  it('refuses what decodePrefix refuses', () => {
    const scan = new PrefixScan();
    for (const text of [
      '',
      'not json',
      '{"v":2,"n":0,"b":[],"bp":[],"e":0}',
      '{"v":1,"n":1,"b":[["s","0123456789abcdef",10,"bad \\x escape"]],"bp":[],"e":10}',
      '{"v":1,"n":1,"b":[["s","0123456789abcdef",10,"raw \n newline"]],"bp":[],"e":10}',
      '{"v":1,"n":1,"b":[["s","0123456789abcdef",010]],"bp":[],"e":10}',
      '{"v":1,"n":1,"b":[["s","0123456789abcdef",10]],"bp":[],"e":10}}',
    ]) {
      expect(reference(text)).toBeUndefined();
      expect(scan.read(text)).toBe(false);
    }
  });
});
