import type { Detection, DetectorId } from './types.js';

/**
 * One anomaly found at consecutive evaluations: who it is about, the key it was first found
 * under, and the stretch of traffic its windows covered. Plain data: it crosses to the
 * evaluation process and is saved with the scheduler's state.
 */
export type Episode = [who: string, key: string, start: number, end: number];

/**
 * The detectors whose keys name a clock hour or day, so that an anomaly still under way when it
 * turns would get a new key and be alerted again. An agent loop's key names its step, not a time.
 */
const TIMED: ReadonlySet<DetectorId> = new Set<DetectorId>(['spend_spike', 'retry_storm', 'runaway_session', 'cache_regression']);

/** Whether a detection's key names a time, so that its anomaly is kept as an episode. */
export const isTimed = (d: Detection): boolean => TIMED.has(d.detector);

/** How long an episode no evaluation has found again is kept: longer than any key's time part. */
const KEEP_MS = 2 * 86_400_000;

/** What an anomaly is about, whatever the evaluation that found it: its detector and subject. */
export const whoOf = (d: Detection) => `${d.detector}\n${d.subject}`;

/**
 * Gives a detection that continues an episode the episode's key, so that a spike or a storm that
 * runs across the top of an hour (a runaway session across midnight) is one alert. A detection
 * continues an episode when its window starts no later than `gapMs` (the evaluation interval)
 * after the episode's last window ended: the windows overlap or follow on, so an anomaly that
 * dips under its threshold for an evaluation or two stays one. One that comes back after a
 * whole quiet window starts a new episode under its own key (which, in the same hour, is the
 * one already claimed). Detections are taken in order, oldest first.
 */
export function continueEpisodes(detections: readonly Detection[], carried: readonly Episode[], now: number, gapMs: number): { detections: Detection[]; episodes: Episode[] } {
  const open = new Map<string, Episode>();
  for (const e of carried) if (e[3] >= now - KEEP_MS) open.set(e[0], [...e]);
  const out = detections.map((d) => {
    if (!isTimed(d)) return d;
    const who = whoOf(d);
    const e = open.get(who);
    if (e && d.windowStart <= e[3] + gapMs && d.windowEnd >= e[2] - gapMs) {
      e[2] = Math.min(e[2], d.windowStart);
      e[3] = Math.max(e[3], d.windowEnd);
      return e[1] === d.key ? d : { ...d, key: e[1] };
    }
    // A late evaluation's find, older than the episode still open, does not end that episode.
    if (!e || d.windowEnd > e[3]) open.set(who, [who, d.key, d.windowStart, d.windowEnd]);
    return d;
  });
  return { detections: out, episodes: [...open.values()] };
}

/** The episodes as saved; what does not read as one is dropped. */
export function episodesFrom(v: unknown): Episode[] {
  if (!Array.isArray(v)) return [];
  return v.filter((e: unknown): e is Episode => Array.isArray(e) && e.length === 4 && typeof e[0] === 'string' && typeof e[1] === 'string' && Number.isFinite(e[2]) && Number.isFinite(e[3]));
}
