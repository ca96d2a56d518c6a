import { describe, expect, it } from 'vitest';
import { type Episode, continueEpisodes, episodesFrom } from './episodes.js';
import type { Detection, DetectorId } from './types.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const base = Date.UTC(2026, 11, 6, 10, 0, 0);

function found(detector: DetectorId, subject: string, now: number, windowMs = 5 * MIN): Detection {
  return {
    detector,
    subject,
    windowStart: now - windowMs,
    windowEnd: now,
    severity: 'warning',
    excessPicos: 1n,
    message: subject,
    evidence: { report: '', requestIds: [], sessionIds: [] },
    key: `${detector}:${subject}:${Math.floor(now / HOUR)}`,
  };
}

/** Evaluations every minute over [from, to], carrying the episodes, as the scheduler does. */
function run(from: number, to: number, at: (now: number) => Detection[], carried: Episode[] = []) {
  const keys: string[] = [];
  let episodes = carried;
  for (let now = from; now <= to; now += MIN) {
    const r = continueEpisodes(at(now), episodes, now, MIN);
    episodes = r.episodes;
    keys.push(...r.detections.map((d) => d.key));
  }
  return { keys, episodes };
}

describe('anomaly episodes', () => {
  it('keep the key of an anomaly’s first evaluation while it is found at every evaluation, across the hour', () => {
    const storm = (now: number) => [found('retry_storm', 'key:k1', now)];
    const { keys } = run(base - 15 * MIN, base + 2 * MIN, storm);
    expect(new Set(keys)).toEqual(new Set([`retry_storm:key:k1:${Math.floor(base / HOUR) - 1}`]));
  });

  it('stay one while the windows overlap (an anomaly flickering under its threshold), and start again after a quiet window', () => {
    const hour = Math.floor(base / HOUR);
    const flicker = run(base - 3 * MIN, base + MIN, (now) => (now === base - MIN ? [] : [found('spend_spike', 'user:alice', now)]));
    expect(new Set(flicker.keys)).toEqual(new Set([`spend_spike:user:alice:${hour - 1}`]));
    // Quiet from 09:53 to 09:59: the window of 10:00 starts after the last one found ended, and a minute more.
    const quiet = run(base - 8 * MIN, base + MIN, (now) => (now > base - 8 * MIN && now < base ? [] : [found('spend_spike', 'user:alice', now)]));
    expect(quiet.keys).toEqual([`spend_spike:user:alice:${hour - 1}`, `spend_spike:user:alice:${hour}`, `spend_spike:user:alice:${hour}`]);
  });

  it('tell subjects and detectors apart, and leave agent loops’ keys alone (they name a step, not a time)', () => {
    const at = (now: number) => [found('spend_spike', 'user:a', now), found('spend_spike', 'user:b', now), found('runaway_session', 'user:a', now), { ...found('agent_loop', 'session:s', now), key: `agent_loop:s:${now}` }];
    const { keys } = run(base - MIN, base, at);
    const hour = Math.floor(base / HOUR);
    expect(keys.slice(4)).toEqual([`spend_spike:user:a:${hour - 1}`, `spend_spike:user:b:${hour - 1}`, `runaway_session:user:a:${hour - 1}`, `agent_loop:s:${base}`]);
  });

  it('carry on from saved episodes, and forget those not found for two days', () => {
    const hour = Math.floor(base / HOUR);
    const saved: Episode[] = [['retry_storm\nkey:k1', 'retry_storm:key:k1:old', base - 6 * MIN, base - MIN], ['retry_storm\nkey:gone', 'x', 0, base - 3 * 86_400_000]];
    const r = continueEpisodes([found('retry_storm', 'key:k1', base)], saved, base, MIN);
    expect(r.detections[0]!.key).toBe('retry_storm:key:k1:old');
    expect(r.episodes).toEqual([['retry_storm\nkey:k1', 'retry_storm:key:k1:old', base - 6 * MIN, base]]);
    expect(continueEpisodes([found('retry_storm', 'key:k1', base + HOUR)], r.episodes, base + HOUR, MIN).detections[0]!.key).toBe(`retry_storm:key:k1:${hour + 1}`);
  });

  it('stay open when a late evaluation finds the same subject in an older, separate window', () => {
    const hour = Math.floor(base / HOUR);
    const open = continueEpisodes([found('spend_spike', 'user:alice', base - MIN)], [], base - MIN, MIN).episodes;
    // The pass at 10:00: a late evaluation's find of 09:15–09:20, then the present one.
    const pass = continueEpisodes([found('spend_spike', 'user:alice', base - 40 * MIN), found('spend_spike', 'user:alice', base)], open, base, MIN);
    expect(pass.detections.map((d) => d.key)).toEqual([`spend_spike:user:alice:${hour - 1}`, `spend_spike:user:alice:${hour - 1}`]);
    expect(pass.episodes).toEqual([['spend_spike\nuser:alice', `spend_spike:user:alice:${hour - 1}`, base - 6 * MIN, base]]);
  });


  it('read back only what is an episode', () => {
    expect(episodesFrom([['a', 'b', 1, 2], ['a', 'b', 1], ['a', 2, 1, 2], 'x', ['a', 'b', null, 2]])).toEqual([['a', 'b', 1, 2]]);
    expect(episodesFrom(undefined)).toEqual([]);
  });
});
