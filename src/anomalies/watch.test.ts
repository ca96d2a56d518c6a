import { describe, expect, it } from 'vitest';
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
});
