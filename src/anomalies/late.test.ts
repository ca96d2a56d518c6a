import { describe, expect, it } from 'vitest';
import { missedEvaluations } from './late.js';
import { defaultAnomalySettings } from './types.js';

const MIN = 60_000;
const lastAt = Date.UTC(2026, 10, 18, 14, 0, 0);

describe('past evaluations owed to late rows', () => {
  it('are those of the live clock whose windows hold the rows, once they had started more than an interval before', () => {
    const s = defaultAnomalySettings();
    // Rows that started in the minute from 7 minutes before the last pass (a 7-minute stream).
    const { owed, tooOld } = missedEvaluations([lastAt - 7 * MIN], lastAt, s, lastAt - 3_600_000);
    const at = (m: number) => lastAt - m * MIN;
    // 5-minute windows: the evaluations from 5 minutes (a bucket's row can start as late as its last instant) to 1 minute after the start.
    expect([...owed.keys()].sort((a, b) => a - b)).toEqual([at(5), at(4), at(3), at(2), at(1), at(0)]);
    expect([...owed.get(at(5))!].sort()).toEqual(['agent_loop', 'cache_regression', 'retry_storm', 'runaway_session', 'spend_spike']);
    // The last pass's own window had passed them for the 5-minute detectors, not for the longer ones.
    expect([...owed.get(at(0))!].sort()).toEqual(['agent_loop', 'cache_regression']);
    expect(tooOld).toBe(0);
  });

  it('leave out evaluations older than the horizon, counted, and disabled detectors', () => {
    const s = defaultAnomalySettings();
    s.detectors.agent_loop.enabled = false;
    s.detectors.cache_regression.enabled = false;
    const { owed, tooOld } = missedEvaluations([lastAt - 3 * 86_400_000, lastAt - 10 * MIN], lastAt, s, lastAt - 86_400_000);
    // Rows from 10 to 9 minutes before: in the 5-minute windows ending after them and before 4 minutes before.
    expect([...owed.keys()].sort((a, b) => a - b)).toEqual([lastAt - 8 * MIN, lastAt - 7 * MIN, lastAt - 6 * MIN, lastAt - 5 * MIN]);
    expect(tooOld).toBe(4);
  });
});
