import type { Picos } from '../core/money.js';
import type { Usage } from '../core/usage.js';
import type { Rates, TieredRate } from './rates.js';

function rateAt(r: TieredRate, totalInput: number): Picos {
  let rate = r.base;
  for (const t of r.tiers) if (totalInput > t.above) rate = t.rate;
  return rate;
}

/**
 * The exact cost of one request's usage, in picos. The tier is chosen once, on total
 * input (cache reads and writes included), and reprices the whole request. Cache
 * prices a model lacks fall back to their parent: 1h writes to writes, writes and
 * reads to plain input (OpenAI before GPT-5.6 bills writes as input).
 */
export function costOf(u: Usage, r: Rates): Picos {
  const total = u.inputTokens;
  const input = rateAt(r.input, total);
  const read = r.cacheRead ? rateAt(r.cacheRead, total) : input;
  const write = r.cacheWrite ? rateAt(r.cacheWrite, total) : input;
  const write1h = r.cacheWrite1h ? rateAt(r.cacheWrite1h, total) : write;
  const writes1h = Math.min(u.cacheWrite1hTokens, u.cacheWriteTokens);
  const writes5m = u.cacheWriteTokens - writes1h;
  const uncached = Math.max(0, u.inputTokens - u.cacheReadTokens - u.cacheWriteTokens);
  return (
    BigInt(uncached) * input +
    BigInt(u.cacheReadTokens) * read +
    BigInt(writes5m) * write +
    BigInt(writes1h) * write1h +
    BigInt(u.outputTokens) * rateAt(r.output, total) +
    (r.perRequest ?? 0n)
  );
}
