import type { ReleaseCacheUse } from '../storage/ports.js';
import { percentText } from './evidence.js';
import type { Detection, ReleaseShare } from './types.js';

/** Requests of a client version before its cache-read share says anything. */
export const MIN_RELEASE_REQUESTS = 10;

/** A client version whose requests read at most half what another version of the same client read. */
export interface ReleaseContrast {
  fell: ReleaseShare;
  kept: ReleaseShare;
}

/** A version that read this much less of its input in the window than in the hour before fell too, whatever the others did. */
const KEPT_FRACTION = 0.75;

/**
 * Which release of a client a workflow's fall in cache reads came with: a version in the window
 * whose requests read at most half the share of input that another version of the same client
 * kept reading. That one kept reading in the window (and read no less than 3/4 of what it read in
 * the hour before), or, with too few requests in the window to judge there (an upgrade all at
 * once), in the hour before, its few requests in the window not reading less. Every share needs
 * MIN_RELEASE_REQUESTS requests with input. The version that fell with the most requests is named,
 * against the version that kept reading with the most.
 */
export function releaseContrast(window: readonly ReleaseCacheUse[], before: readonly ReleaseCacheUse[]): ReleaseContrast | undefined {
  const now = shares(window, 'window');
  const earlier = shares(before, 'before');
  const inWindow = new Map(window.map((u) => [`${u.client}\u0000${u.version}`, u]));
  const keptReading = (k: ReleaseShare): boolean => {
    const past = earlier.find((b) => b.client === k.client && b.version === k.version);
    if (k.when === 'window') return !past || k.share >= past.share * KEPT_FRACTION;
    const few = inWindow.get(`${k.client}\u0000${k.version}`);
    if (few && few.requests >= MIN_RELEASE_REQUESTS) return false;
    return !few || few.inputTokens === 0 || few.cacheReadTokens / few.inputTokens >= k.share * KEPT_FRACTION;
  };
  let best: ReleaseContrast | undefined;
  for (const fell of now) {
    const others = (xs: ReleaseShare[]) => xs.filter((k) => k.client === fell.client && k.version !== fell.version && fell.share * 2 <= k.share && keptReading(k));
    const kept = mostRequests(others(now)) ?? mostRequests(others(earlier));
    if (kept && (!best || fell.requests > best.fell.requests)) best = { fell, kept };
  }
  return best;
}

function shares(uses: readonly ReleaseCacheUse[], when: ReleaseShare['when']): ReleaseShare[] {
  return uses.filter((u) => u.client !== '' && u.version !== '' && u.requests >= MIN_RELEASE_REQUESTS && u.inputTokens > 0).map((u) => ({ client: u.client, version: u.version, requests: u.requests, share: u.cacheReadTokens / u.inputTokens, when }));
}

/** "The fall is on claude-code 2.1.198: its 40 requests read 3% of their input from cache, against 86% on 2.1.197 (35 requests in the hour before)." */
export function releaseText(c: ReleaseContrast): string {
  const { fell, kept } = c;
  const where = kept.when === 'window' ? 'in the same window' : 'in the hour before';
  return `The fall is on ${fell.client} ${fell.version}: its ${fell.requests} requests read ${percentText(fell.share)} of their input from cache, against ${percentText(kept.share)} on ${kept.version} (${kept.requests} requests ${where}).`;
}

/** The hour before a regression's window, where a version the window no longer has is looked for. */
const BEFORE_MS = 3_600_000;

/**
 * A cache regression with the client release it came with, when one stands out: named in its
 * message and listed in its evidence. `read` sums a workflow's requests per client version over a
 * stretch of time; it is asked only for the regressions found, never for clean traffic.
 */
export async function withRelease(d: Detection, read: (workflow: string, since: number, until: number) => Promise<ReleaseCacheUse[]>): Promise<Detection> {
  const workflow = d.subject.startsWith('workflow:') ? d.subject.slice('workflow:'.length) : undefined;
  if (d.detector !== 'cache_regression' || workflow === undefined) return d;
  const [window, before] = await Promise.all([read(workflow, d.windowStart, d.windowEnd), read(workflow, d.windowStart - BEFORE_MS, d.windowStart)]);
  const c = releaseContrast(window, before);
  if (!c) return d;
  return { ...d, message: `${d.message} ${releaseText(c)}`, evidence: { ...d.evidence, clientVersions: [c.fell, c.kept] } };
}

function mostRequests(xs: readonly ReleaseShare[]): ReleaseShare | undefined {
  return xs.reduce<ReleaseShare | undefined>((m, x) => (!m || x.requests > m.requests ? x : m), undefined);
}
