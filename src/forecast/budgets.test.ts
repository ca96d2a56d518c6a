import { describe, expect, it } from 'vitest';
import { forecastSummary } from './budgets.js';
import type { Forecast } from './project.js';

const forecast = (projectedPicos: bigint, limitPicos: bigint): Forecast => ({
  method: 'flat',
  historyDays: 7,
  dailyRatePicos: 0n,
  windowStart: 0,
  windowEnd: 1,
  spentPicos: 0n,
  limitPicos,
  projectedPicos,
  runOutAt: null,
  status: 'on_track',
});

describe('forecastSummary', () => {
  it('rounds the projected share of the limit to a tenth of a percent, half up', () => {
    expect(forecastSummary(forecast(46_960n, 100_000n)).projected_percent).toBe(47);
    expect(forecastSummary(forecast(46_940n, 100_000n)).projected_percent).toBe(46.9);
    expect(forecastSummary(forecast(1n, 0n)).projected_percent).toBeNull();
  });
});
