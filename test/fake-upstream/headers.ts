import type { Dialect } from './reply.js';

export const SSE_TYPE = 'text/event-stream; charset=utf-8';

/** Sample values from OpenAI's rate-limit guide; resets are Go-style durations. */
const OPENAI_BASE: Readonly<Record<string, string>> = {
  'openai-organization': 'org-fakeupstream',
  'openai-project': 'proj_fakeupstream',
  'openai-version': '2020-10-01',
  'openai-processing-ms': '1',
  'x-ratelimit-limit-requests': '10000',
  'x-ratelimit-limit-tokens': '30000000',
  'x-ratelimit-remaining-requests': '9999',
  'x-ratelimit-remaining-tokens': '29999000',
  'x-ratelimit-reset-requests': '6ms',
  'x-ratelimit-reset-tokens': '0s',
};

/** Anthropic resets are RFC 3339 timestamps; fixed so that responses stay deterministic. */
const ANTHROPIC_RESET = '2026-11-22T00:00:01Z';
const ANTHROPIC_BASE: Readonly<Record<string, string>> = {
  'anthropic-organization-id': '00000000-0000-4000-8000-00000fa4e000',
  ...rateLimit('requests', '4000', '3999'),
  ...rateLimit('tokens', '2000000', '1999000'),
  ...rateLimit('input-tokens', '1600000', '1599000'),
  ...rateLimit('output-tokens', '400000', '400000'),
};

function rateLimit(kind: string, limit: string, remaining: string): Record<string, string> {
  const p = `anthropic-ratelimit-${kind}`;
  return { [`${p}-limit`]: limit, [`${p}-remaining`]: remaining, [`${p}-reset`]: ANTHROPIC_RESET };
}

/** Gemini sends no rate-limit headers. */
const GEMINI_BASE: Readonly<Record<string, string>> = {
  vary: 'Origin, X-Origin, Referer',
  server: 'scaffolding on HTTPServer2',
  'x-xss-protection': '0',
  'x-frame-options': 'SAMEORIGIN',
  'x-content-type-options': 'nosniff',
};

const JSON_TYPE: Record<Dialect, string> = {
  openai: 'application/json',
  anthropic: 'application/json',
  gemini: 'application/json; charset=UTF-8',
};

const BASE: Record<Dialect, Readonly<Record<string, string>>> = {
  openai: OPENAI_BASE,
  anthropic: ANTHROPIC_BASE,
  gemini: GEMINI_BASE,
};

export function jsonHeaders(d: Dialect): Readonly<Record<string, string>> {
  return { 'content-type': JSON_TYPE[d], ...BASE[d] };
}

export function sseHeaders(d: Dialect): Readonly<Record<string, string>> {
  return { 'content-type': d === 'gemini' ? 'text/event-stream' : SSE_TYPE, 'cache-control': 'no-cache', ...BASE[d] };
}

/** The header each provider puts its request id in (Gemini has none). */
export function requestIdHeader(d: Dialect): string | undefined {
  if (d === 'openai') return 'x-request-id';
  return d === 'anthropic' ? 'request-id' : undefined;
}

/** Deterministic per arrival order, in each provider's id style. */
export function requestIdFor(d: Dialect, seq: number): string {
  const n = seq.toString(16);
  return d === 'anthropic' ? `req_011CfakeUpstream${n.padStart(8, '0')}` : `req_${n.padStart(32, '0')}`;
}
