import { createHash } from 'node:crypto';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** How Anthropic reports one request's prompt: uncached input, read from cache, written by TTL. */
export interface CacheUsage {
  input: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
}

const TTL = { '5m': 5 * 60_000, '1h': 60 * 60_000 } as const;
/** Anthropic looks back at most 20 blocks from a breakpoint for an earlier entry. */
const LOOKBACK = 20;

/**
 * Anthropic's prompt cache, simulated honestly enough for tests: the prompt is cut into
 * blocks (tools, system, message content), an entry is the exact prefix up to a
 * `cache_control` breakpoint, it lives for its TTL (refreshed on a hit), and a request
 * reads the longest cached prefix within 20 blocks before one of its breakpoints. Prefixes
 * shorter than `minTokens` are not cached. Tokens are bytes / 4, rounded up, per block.
 */
export class PromptCacheSim {
  private readonly entries = new Map<string, { expires: number; ttl: number }>();

  clear(): void {
    this.entries.clear();
  }

  usage(body: Readonly<Json>, minTokens: number, now = Date.now()): CacheUsage {
    const blocks: { json: string; mark: unknown }[] = [];
    // A string (system prompt, message content) is one text block, as Anthropic renders it.
    const add = (b: unknown, role = '') => {
      const block = typeof b === 'string' ? { type: 'text', text: b } : b;
      if (isObj(block) && Object.hasOwn(block, 'cache_control')) {
        const { cache_control: mark, ...rest } = block;
        blocks.push({ json: role + JSON.stringify(rest), mark });
      } else blocks.push({ json: role + JSON.stringify(block), mark: undefined });
    };
    for (const t of Array.isArray(body.tools) ? body.tools : []) add(t);
    if (typeof body.system === 'string') add(body.system);
    else for (const s of Array.isArray(body.system) ? body.system : []) add(s);
    for (const m of Array.isArray(body.messages) ? body.messages : []) {
      if (!isObj(m)) continue;
      const role = typeof m.role === 'string' ? m.role : '';
      if (typeof m.content === 'string') add(m.content, role);
      else for (const c of Array.isArray(m.content) ? m.content : []) add(c, role);
    }
    if (isObj(body.cache_control) && blocks.length > 0 && blocks.at(-1)!.mark === undefined) blocks.at(-1)!.mark = body.cache_control;

    const cum: string[] = [];
    const upTo: number[] = [];
    let h = '';
    let tokens = 0;
    for (const b of blocks) {
      h = createHash('sha256').update(h).update(b.json).digest('hex');
      tokens += Math.max(1, Math.ceil(Buffer.byteLength(b.json) / 4));
      cum.push(h);
      upTo.push(tokens);
    }
    const breakpoints = blocks.flatMap((b, i) => (b.mark === undefined ? [] : [{ at: i, ttl: isObj(b.mark) && b.mark.ttl === '1h' ? TTL['1h'] : TTL['5m'] }]));
    const live = (i: number) => {
      const e = this.entries.get(cum[i]!);
      return e !== undefined && e.expires > now;
    };
    let hit = -1;
    for (const bp of breakpoints) {
      for (let i = bp.at; i >= Math.max(0, bp.at - LOOKBACK) && i > hit; i--) {
        if (live(i)) {
          hit = i;
          break;
        }
      }
    }
    if (hit >= 0) {
      const e = this.entries.get(cum[hit]!)!;
      e.expires = now + e.ttl;
    }
    const read = hit >= 0 ? upTo[hit]! : 0;
    let written = read;
    const out: CacheUsage = { input: 0, cacheRead: read, cacheWrite5m: 0, cacheWrite1h: 0 };
    for (const bp of breakpoints) {
      if (bp.at <= hit || upTo[bp.at]! < minTokens) continue;
      const fresh = upTo[bp.at]! - written;
      if (bp.ttl === TTL['1h']) out.cacheWrite1h += fresh;
      else out.cacheWrite5m += fresh;
      written = upTo[bp.at]!;
      this.entries.set(cum[bp.at]!, { expires: now + bp.ttl, ttl: bp.ttl });
    }
    out.input = tokens - written;
    return out;
  }
}
