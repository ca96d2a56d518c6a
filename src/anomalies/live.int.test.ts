import { describe, expect, it } from 'vitest';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../storage/testing/rows.js';
import { SeriesReader } from './inputs.js';
import { livePass } from './live.js';
import { defaultAnomalySettings } from './types.js';

const MIN = 60_000;
const lastAt = Date.UTC(2026, 10, 18, 14, 0, 0);

describe('a live pass', () => {
  it('runs the past evaluations owed to late rows oldest first within a pass\'s budget, at least one a pass, the rest owed to the next passes', async () => {
    const storage = openSqlite(':memory:');
    const settings = defaultAnomalySettings();
    const reader = new SeriesReader(storage.ledger);
    let state = (await livePass(storage.ledger, () => reader, lastAt, { owed: [] }, settings, () => undefined, 0)).state;
    await storage.ledger.insert([sampleRow({ id: 'late', ts: lastAt - 40 * MIN })]);
    // A clock that says the budget is spent at once.
    let ticks = 0;
    const clock = () => ++ticks * 1000;
    const counts: [number, number][] = [];
    for (let now = lastAt + MIN; now <= lastAt + 5 * MIN; now += MIN) {
      const pass = await livePass(storage.ledger, () => reader, now, state, settings, () => undefined, 0, clock);
      counts.push([pass.late.evaluated, pass.late.owed]);
      expect(pass.state.owed.map(([at]) => at)).toEqual([...pass.state.owed.map(([at]) => at)].sort((a, b) => a - b));
      state = pass.state;
    }
    // Started 40 minutes before: owed to the agent loop's 30-minute windows from 38 minutes before to 10 minutes before, 29 evaluations.
    expect(counts).toEqual([[1, 28], [1, 27], [1, 26], [1, 25], [1, 24]]);
    expect(state.owed[0]![0]).toBe(lastAt - 33 * MIN);
    await storage.close();
  });
});
