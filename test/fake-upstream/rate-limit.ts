import type { Dialect } from './reply.js';
import type { RateLimitSpec, RecordedRequest } from './types.js';

export type Admission = { ok: true; headers: Record<string, string> } | { ok: false; headers: Record<string, string> };

/** A provider-style fixed-window rate limit on requests and tokens (see RateLimitSpec). */
export class RateWindow {
  limited = 0;
  private start = 0;
  private requests = 0;
  private tokens = 0;
  private readonly spec: RateLimitSpec;

  constructor(spec: RateLimitSpec) {
    this.spec = spec;
  }

  admit(rec: RecordedRequest, dialect: Dialect, now: number): Admission {
    const { windowMs } = this.spec;
    if (now - this.start >= windowMs) {
      this.start = now - ((now - this.start) % windowMs);
      if (now - this.start >= windowMs) this.start = now;
      this.requests = 0;
      this.tokens = 0;
    }
    const cost = tokensOf(rec);
    const resetMs = Math.max(1, this.start + windowMs - now);
    const overRequests = this.spec.requests !== undefined && this.requests + 1 > this.spec.requests;
    const overTokens = this.spec.tokens !== undefined && this.tokens + cost > this.spec.tokens;
    if (overRequests || overTokens) {
      this.limited++;
      return { ok: false, headers: { ...this.headers(dialect, now, resetMs), 'retry-after-ms': String(resetMs), 'retry-after': String(Math.ceil(resetMs / 1000)) } };
    }
    this.requests++;
    this.tokens += cost;
    return { ok: true, headers: this.headers(dialect, now, resetMs) };
  }

  private headers(dialect: Dialect, now: number, resetMs: number): Record<string, string> {
    const h: Record<string, string> = {};
    const { requests, tokens } = this.spec;
    if (dialect === 'anthropic') {
      const at = new Date(now + resetMs).toISOString();
      if (requests !== undefined) Object.assign(h, { 'anthropic-ratelimit-requests-limit': String(requests), 'anthropic-ratelimit-requests-remaining': String(Math.max(0, requests - this.requests)), 'anthropic-ratelimit-requests-reset': at });
      if (tokens !== undefined) Object.assign(h, { 'anthropic-ratelimit-tokens-limit': String(tokens), 'anthropic-ratelimit-tokens-remaining': String(Math.max(0, tokens - this.tokens)), 'anthropic-ratelimit-tokens-reset': at });
    } else if (dialect === 'openai') {
      if (requests !== undefined) Object.assign(h, { 'x-ratelimit-limit-requests': String(requests), 'x-ratelimit-remaining-requests': String(Math.max(0, requests - this.requests)), 'x-ratelimit-reset-requests': `${resetMs}ms` });
      if (tokens !== undefined) Object.assign(h, { 'x-ratelimit-limit-tokens': String(tokens), 'x-ratelimit-remaining-tokens': String(Math.max(0, tokens - this.tokens)), 'x-ratelimit-reset-tokens': `${resetMs}ms` });
    }
    return h;
  }
}

function tokensOf(rec: RecordedRequest): number {
  const json = rec.json as { max_tokens?: unknown } | undefined;
  const cap = typeof json?.max_tokens === 'number' ? json.max_tokens : 0;
  return Math.ceil(rec.body.length / 4) + cap;
}
