import type { RateMark } from './port.js';

/** Until when a shared rate-limit view says anything: its last reset, or the end of a 429's pause. */
export function rateMarkUntil(m: RateMark): number {
  return Math.max(m.blockedUntil, m.snapshot.requests?.resetAt ?? 0, m.snapshot.tokens?.resetAt ?? 0);
}

/** The stored form: `at|json`, so that a script can compare `at` without parsing JSON. */
export function encodeRateMark(m: RateMark): string {
  return `${Math.round(m.at)}|${JSON.stringify({ s: m.snapshot, b: m.blockedUntil, h: m.headers })}`;
}

export function decodeRateMark(deployment: string, v: string): RateMark | undefined {
  const bar = v.indexOf('|');
  const at = Number(v.slice(0, bar));
  if (bar < 0 || !Number.isFinite(at)) return undefined;
  try {
    const { s, b, h } = JSON.parse(v.slice(bar + 1)) as { s: RateMark['snapshot']; b: number; h?: Record<string, string> };
    return { deployment, at, snapshot: s, blockedUntil: b, ...(h === undefined ? {} : { headers: h }) };
  } catch {
    return undefined;
  }
}
