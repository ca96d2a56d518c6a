import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';
import { configFile, configIssues } from './testing.js';

describe('anomalies config', () => {
  it('defaults the scheduler on when an alert webhook is configured, every detector on, evaluating every minute; `enabled` decides when set', () => {
    const hook = 'alerts: { webhooks: [{ url: "https://hooks.example/x" }] }\n';
    const c = loadConfig({ file: configFile(hook), env: {} });
    expect(c.anomalies.enabled).toBe(true);
    expect(loadConfig({ env: {} }).anomalies.enabled).toBe(false);
    expect(loadConfig({ file: configFile('anomalies: { enabled: true }\n'), env: {} }).anomalies.enabled).toBe(true);
    expect(loadConfig({ file: configFile(`${hook}anomalies: { enabled: false }\n`), env: {} }).anomalies.enabled).toBe(false);
    expect(c.anomalies.intervalMs).toBe(60_000);
    expect(c.anomalies.detectors.spend_spike).toMatchObject({ enabled: true, windowMs: 300_000, minExcessPicos: 5_000_000_000_000n });
  });

  it('reads thresholds in minutes, days and dollars', () => {
    const text = 'anomalies:\n  interval_seconds: 30\n  detectors:\n    spend_spike: { window_minutes: 10, min_excess_usd: "2.50", dimensions: [team] }\n    agent_loop: { enabled: false }\n';
    const c = loadConfig({ file: configFile(text), env: {} });
    expect(c.anomalies.intervalMs).toBe(30_000);
    expect(c.anomalies.detectors.spend_spike).toMatchObject({ windowMs: 600_000, minExcessPicos: 2_500_000_000_000n, dimensions: ['team'] });
    expect(c.anomalies.detectors.agent_loop.enabled).toBe(false);
  });

  it('reads the cache-hit regression’s last minutes judged alone: 5 minutes and a 70% fall by default, 0 minutes for off', () => {
    expect(loadConfig({ env: {} }).anomalies.detectors.cache_regression).toMatchObject({ fastWindowMs: 300_000, fastDrop: 0.7, minRequests: 20 });
    expect(loadConfig({ file: configFile('anomalies:\n  detectors:\n    cache_regression: { min_requests: 50 }\n'), env: {} }).anomalies.detectors.cache_regression.minRequests).toBe(50);
    const c = loadConfig({ file: configFile('anomalies:\n  detectors:\n    cache_regression: { fast_window_minutes: 0, fast_drop: 0.8 }\n'), env: {} });
    expect(c.anomalies.detectors.cache_regression).toMatchObject({ fastWindowMs: 0, fastDrop: 0.8 });
    expect(configIssues('anomalies:\n  detectors:\n    cache_regression: { fast_window_minutes: -1, fast_drop: 1.5 }\n')).toEqual([
      'anomalies.detectors.cache_regression.fast_window_minutes@3: must be a number of minutes ≥ 0 (0 turns it off)',
      'anomalies.detectors.cache_regression.fast_drop@3: must be a fraction between 0 and 1',
    ]);
  });

  it('reads the cache-hit regression’s warm-request check: 4 requests and 100,000 input tokens by default, 0 requests for off', () => {
    expect(loadConfig({ env: {} }).anomalies.detectors.cache_regression).toMatchObject({ warmMinRequests: 4, warmMinInputTokens: 100_000 });
    const c = loadConfig({ file: configFile('anomalies:\n  detectors:\n    cache_regression: { warm_min_requests: 0, warm_min_input_tokens: 50000 }\n'), env: {} });
    expect(c.anomalies.detectors.cache_regression).toMatchObject({ warmMinRequests: 0, warmMinInputTokens: 50_000 });
    expect(configIssues('anomalies:\n  detectors:\n    cache_regression: { warm_min_requests: 2.5, warm_min_input_tokens: -1 }\n')).toEqual([
      'anomalies.detectors.cache_regression.warm_min_requests@3: must be a whole number',
      'anomalies.detectors.cache_regression.warm_min_input_tokens@3: must be at least 0',
    ]);
  });

  it('reads the sessions the warm requests must come from: 2 by default', () => {
    expect(loadConfig({ env: {} }).anomalies.detectors.cache_regression.warmMinSessions).toBe(2);
    expect(loadConfig({ file: configFile('anomalies:\n  detectors:\n    cache_regression: { warm_min_sessions: 1 }\n'), env: {} }).anomalies.detectors.cache_regression.warmMinSessions).toBe(1);
    expect(configIssues('anomalies:\n  detectors:\n    cache_regression: { warm_min_sessions: 0 }\n')).toEqual(['anomalies.detectors.cache_regression.warm_min_sessions@3: must be at least 1']);
  });

  it('reads how late rows may be and still be evaluated live, 24 hours by default, 0 for never', () => {
    expect(loadConfig({ env: {} }).anomalies.lateHorizonMs).toBe(86_400_000);
    expect(loadConfig({ file: configFile('anomalies:\n  late_horizon_hours: 6\n'), env: {} }).anomalies.lateHorizonMs).toBe(6 * 3_600_000);
    expect(loadConfig({ file: configFile('anomalies:\n  late_horizon_hours: 0\n'), env: {} }).anomalies.lateHorizonMs).toBe(0);
    expect(configIssues('anomalies:\n  late_horizon_hours: 200\n')).toEqual(['anomalies.late_horizon_hours@2: must be at most 168 hours (a week)']);
  });

  it('aligns the spike baseline to policy.time_zone (UTC by default)', () => {
    expect(loadConfig({ env: {} }).anomalies.detectors.spend_spike.timeZone).toBe('UTC');
    const c = loadConfig({ file: configFile('policy:\n  time_zone: America/Los_Angeles\n'), env: {} });
    expect(c.anomalies.detectors.spend_spike.timeZone).toBe('America/Los_Angeles');
  });

  it('names a bad setting and its line', () => {
    expect(configIssues('anomalies:\n  interval_seconds: 1\n  detectors:\n    spend_spike: { dimensions: [project] }\n    retry_storm: { min_error_share: 2 }\n')).toEqual([
      'anomalies.interval_seconds@2: must be at least 5 seconds',
      'anomalies.detectors.spend_spike.dimensions[0]@4: must be one of user, team, workflow, model',
      'anomalies.detectors.retry_storm.min_error_share@5: must be a fraction between 0 and 1',
    ]);
  });
});

describe('spend spike history and baseline', () => {
  it('lowers the default history requirement to a shorter baseline, and refuses a requirement the baseline cannot meet', () => {
    // Only baseline_days of history are read: a 7-day requirement over a 5-day baseline could never be met.
    const c = loadConfig({ file: configFile('anomalies:\n  detectors:\n    spend_spike: { baseline_days: 5 }\n'), env: {} });
    expect(c.anomalies.detectors.spend_spike).toMatchObject({ baselineDays: 5, minHistoryDays: 5 });
    expect(loadConfig({ env: {} }).anomalies.detectors.spend_spike).toMatchObject({ baselineDays: 28, minHistoryDays: 7 });
    // With the block's other problems, at once.
    expect(configIssues('anomalies:\n  detectors:\n    spend_spike: { window_minutes: 0, mad_k: high, baseline_days: 7, min_history_days: 8 }\n')).toHaveLength(3);
    expect(configIssues('anomalies:\n  detectors:\n    spend_spike: { baseline_days: 5, min_history_days: 7 }\n')).toEqual([
      'anomalies.detectors.spend_spike.min_history_days@3: must be at most baseline_days (5): only that much history is read, so the detector would never raise anything',
    ]);
    expect(configIssues('anomalies:\n  detectors:\n    spend_spike: { min_history_days: 30 }\n')).toEqual([
      'anomalies.detectors.spend_spike.min_history_days@3: must be at most baseline_days (28): only that much history is read, so the detector would never raise anything',
    ]);
  });
});
