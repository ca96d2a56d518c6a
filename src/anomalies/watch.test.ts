import { describe, expect, it } from 'vitest';
import { type Episode, continueEpisodes } from './episodes.js';
import type { LiveState } from './live.js';
import type { Detection } from './types.js';
import { AnomalyWatch } from './watch.js';

const HOUR = 3_600_000;
const at = Date.UTC(2026, 11, 6, 11, 0, 40);

function detection(subject: string, hour: number): Detection {
  return {
    detector: 'spend_spike',
    subject,
    windowStart: hour * HOUR,
    windowEnd: hour * HOUR + 300_000,
    severity: 'warning',
    excessPicos: 1n,
    message: subject,
    evidence: { report: '', requestIds: [], sessionIds: [] },
    key: `spend_spike:${subject}:${hour}`,
  };
}

describe('AnomalyWatch', () => {
  it('raises one alert for an anomaly that a late evaluation and the present one found under different hours, and one for two late ones', async () => {
    const hour = Math.floor(at / HOUR);
    // Late evaluations (the hour before) then the present one (this hour).
    const detections = [detection('user:u104', hour - 1), detection('team:team8', hour - 1), detection('team:team8', hour - 1), detection('user:carol', hour - 1), detection('user:u104', hour)];
    detections[2] = { ...detections[2]!, key: 'spend_spike:team:team8:other' };
    const raised: [string, boolean][] = [];
    const watch = new AnomalyWatch({
      evaluator: { evaluate: () => Promise.resolve({ detections, foundLate: 4, state: { cursor: '1', owed: [] }, late: { evaluated: 1, owed: 0, tooOld: 0 } }), close: () => Promise.resolve() },
      intervalMs: 60_000,
      flush: () => Promise.resolve(),
      claim: () => Promise.resolve(true),
      raise: (d, _at, late) => void raised.push([d.key, late]),
      onError: (err) => {
        throw err;
      },
      now: () => at,
    });
    await watch.check();
    expect(raised).toEqual([
      [`spend_spike:team:team8:${hour - 1}`, true],
      [`spend_spike:user:carol:${hour - 1}`, true],
      [`spend_spike:user:u104:${hour}`, false],
    ]);
  });

  it('raises the present evaluation’s detection, not a late one’s, when both found an anomaly under the same key', async () => {
    const hour = Math.floor(at / HOUR);
    const late = { ...detection('session:s1', hour - 3), detector: 'runaway_session' as const, key: 'runaway_session:s1:day', message: 'late' };
    const now = { ...detection('session:s1', hour), detector: 'runaway_session' as const, key: 'runaway_session:s1:day', message: 'now' };
    const raised: [string, boolean][] = [];
    const watch = new AnomalyWatch({
      evaluator: { evaluate: () => Promise.resolve({ detections: [late, now], foundLate: 1, state: { cursor: '1', owed: [] }, late: { evaluated: 1, owed: 0, tooOld: 0 } }), close: () => Promise.resolve() },
      intervalMs: 60_000,
      flush: () => Promise.resolve(),
      claim: () => Promise.resolve(true),
      raise: (d, _at, foundLate) => void raised.push([d.message, foundLate]),
      onError: (err) => {
        throw err;
      },
      now: () => at,
    });
    await watch.check();
    expect(raised).toEqual([['now', false]]);
  });

  it('raises one alert across replicas for a spike one found before the hour turned and the other only after', async () => {
    const MIN = 60_000;
    const top = Math.floor(at / HOUR) * HOUR; // 11:00
    const spikeFrom = top - 40_000; // the spike crosses its threshold at 10:59:20
    // What the spike's evaluation finds at `now`: a 5-minute window, keyed by the hour of `now`, as spendSpikes keys it.
    const find = (now: number): Detection[] => (now < spikeFrom ? [] : [{ ...detection('user:alice', 0), windowStart: now - 5 * MIN, windowEnd: now, key: `spend_spike:user:alice:${Math.floor(now / HOUR)}` }]);
    let saved: Episode[] = [];
    const claimed = new Set<string>();
    const raised: string[] = [];
    const replica = (clock: { now: number }) =>
      new AnomalyWatch({
        // As livePass does: the carried episodes continue the keys.
        evaluator: {
          evaluate: (now: number, state: LiveState) => {
            const r = continueEpisodes(find(now), state.episodes ?? [], now, MIN);
            return Promise.resolve({ detections: r.detections, foundLate: 0, state: { ...state, episodes: r.episodes }, late: { evaluated: 0, owed: 0, tooOld: 0 } });
          },
          close: () => Promise.resolve(),
        },
        intervalMs: MIN,
        flush: () => Promise.resolve(),
        claim: (key) => Promise.resolve(!claimed.has(key) && claimed.add(key) !== undefined),
        raise: (d) => void raised.push(d.key),
        onError: (err) => {
          throw err;
        },
        now: () => clock.now,
        save: (state) => Promise.resolve(void (saved = state.episodes ?? [])),
        shared: () => Promise.resolve(saved),
      });
    const a = { now: top - 10_000 }; // A evaluates at :50, after the spike crossed its threshold
    const b = { now: spikeFrom - 1 }; // B at :20, a moment before: it first finds it at 11:00:20
    const [wa, wb] = [replica(a), replica(b)];
    for (let k = 0; k < 5; k++) {
      await wb.check();
      await wa.check();
      a.now += MIN;
      b.now += MIN;
    }
    expect(raised).toEqual([`spend_spike:user:alice:${Math.floor(top / HOUR) - 1}`]);
  });
});
