import { describe, expect, it } from 'vitest';
import type { Picos } from '../core/money.js';
import { seasonalHours, spendSpikes } from './spend-spike.js';
import { defaultAnomalySettings } from './types.js';

const HOUR = 3_600_000;
const USD = 1_000_000_000_000n;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);

describe('spend spike baseline in the policy time zone', () => {
  it('samples the same local hour on the same kind of local day, across the end of DST', () => {
    // Monday 9 Nov 2026, 02:30 in Los Angeles (PST, UTC−8); DST ended on Sunday 1 November.
    const at = Date.UTC(2026, 10, 9, 10, 30);
    const hours = seasonalHours(at, 14, 'America/Los_Angeles').map(iso);
    // Ten weekdays: 02:00 PST is 10:00 UTC after the change, 02:00 PDT is 09:00 UTC before it.
    expect(hours).toEqual([
      '2026-11-06T10:00', '2026-11-05T10:00', '2026-11-04T10:00', '2026-11-03T10:00', '2026-11-02T10:00',
      '2026-10-30T09:00', '2026-10-29T09:00', '2026-10-28T09:00', '2026-10-27T09:00', '2026-10-26T09:00',
    ]);
    // UTC keeps 10:00 UTC every day: 03:00 local before the change.
    expect(seasonalHours(at, 14, 'UTC').map(iso).slice(5, 6)).toEqual(['2026-10-30T10:00']);
  });

  it('answers a repeated question as a fresh one would, in zones whose hours start at a half or quarter hour', () => {
    const zones = ['Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns', 'Australia/Lord_Howe', 'Europe/Berlin'];
    const fresh = (at: number, zone: string) => {
      seasonalHours(at, 3, 'UTC'); // another question first, so that nothing is reused
      return seasonalHours(at, 14, zone);
    };
    for (const zone of zones) {
      // Every 35 minutes over two days (so every 5-minute offset within the hour comes up), each
      // asked right after the moment 5 minutes before (reused within a quarter hour).
      for (let at = Date.UTC(2026, 9, 3, 0, 0); at < Date.UTC(2026, 9, 5); at += 35 * 60_000) {
        seasonalHours(at - 5 * 60_000, 14, zone);
        expect(seasonalHours(at, 14, zone), `${zone} ${iso(at)}`).toEqual(fresh(at, zone));
      }
    }
  });

  it('takes weekdays and weekends as the team lives them', () => {
    // Friday 17:30 in Los Angeles is already Saturday 01:30 UTC.
    const at = Date.UTC(2026, 10, 14, 1, 30);
    const weekdays = seasonalHours(at, 7, 'America/Los_Angeles');
    expect(weekdays.map(iso)).toEqual(['2026-11-13T01:00', '2026-11-12T01:00', '2026-11-11T01:00', '2026-11-10T01:00', '2026-11-07T01:00']);
    // Read in UTC it is a weekend hour, sampled from the (local Friday and Saturday) weekend.
    expect(seasonalHours(at, 7, 'UTC').map(iso)).toEqual(['2026-11-08T01:00', '2026-11-07T01:00']);
  });

  it('follows spring-forward too, and half-hour zones use the UTC hour the local one starts in', () => {
    // Berlin: Monday 30 March 2026 09:10 CEST (07:10 UTC); clocks went forward on Sunday 29 March.
    const berlin = seasonalHours(Date.UTC(2026, 2, 30, 7, 10), 7, 'Europe/Berlin').map(iso);
    expect(berlin).toEqual(['2026-03-27T08:00', '2026-03-26T08:00', '2026-03-25T08:00', '2026-03-24T08:00', '2026-03-23T08:00']);
    // Kolkata (UTC+5:30): 10:00 local is 04:30 UTC, held by the 04:00 UTC hour.
    expect(seasonalHours(Date.UTC(2026, 2, 31, 4, 45), 1, 'Asia/Kolkata').map(iso)).toEqual(['2026-03-30T04:00']);
  });

  it("stays quiet on a nightly job at its usual local hour after DST ends, which a UTC baseline raises", () => {
    // A job runs 02:00–03:00 Los Angeles time every night and spends $120 in that hour.
    const tz = 'America/Los_Angeles';
    const now = Date.UTC(2026, 10, 9, 10, 30);
    const hourly = new Map<number, Picos>();
    for (let day = Date.UTC(2026, 9, 5); day < Date.UTC(2026, 10, 9); day += 24 * HOUR) {
      const d = new Date(day);
      const jobHour = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 2) + (day >= Date.UTC(2026, 10, 2) ? 8 : 7) * HOUR;
      hourly.set(jobHour, 120n * USD);
    }
    // Its usual share of the last 5 minutes.
    const series = { dimension: 'workflow' as const, current: new Map([['nightly', 10n * USD]]), hourly: new Map([['nightly', hourly]]), firstHour: Date.UTC(2026, 9, 5) };
    const base = defaultAnomalySettings().detectors.spend_spike;
    expect(spendSpikes(series, now, { ...base, timeZone: tz })).toEqual([]);
    // The same series judged in UTC hours: most samples fall an hour off the job, so it looks like a spike.
    expect(spendSpikes(series, now, { ...base, timeZone: 'UTC' }).map((x) => x.subject)).toEqual(['workflow:nightly']);
    // A real spike at that hour is still raised in the team's zone.
    const spiking = { ...series, current: new Map([['nightly', 60n * USD]]) };
    expect(spendSpikes(spiking, now, { ...base, timeZone: tz }).map((x) => x.subject)).toEqual(['workflow:nightly']);
  });
});

describe('spend spike with a young ledger', () => {
  it('samples only the days the ledger holds: a steady subject ten days in is not a spike', () => {
    // $120 every hour since the ledger began ten days ago; the baseline reaches back 28 days.
    const now = Date.UTC(2026, 11, 3, 17, 29);
    const firstHour = Date.UTC(2026, 10, 23, 17);
    const hourly = new Map<number, Picos>();
    for (let h = firstHour; h < Date.UTC(2026, 11, 3, 17); h += HOUR) hourly.set(h, 120n * USD);
    const base = defaultAnomalySettings().detectors.spend_spike;
    const steady = { dimension: 'user' as const, current: new Map([['erin', 10n * USD]]), hourly: new Map([['erin', hourly]]), firstHour };
    expect(spendSpikes(steady, now, base)).toEqual([]);
    // Four times the usual rate is still raised, against the $10 the known days show.
    const spiking = { ...steady, current: new Map([['erin', 40n * USD]]) };
    const [spike] = spendSpikes(spiking, now, base);
    expect(spike?.excessPicos).toBe(30n * USD);
    // A subject the ledger never saw before has a baseline of zero, as documented.
    const fresh = { ...steady, current: new Map([['newcomer', 6n * USD]]) };
    expect(spendSpikes(fresh, now, base).map((x) => x.subject)).toEqual(['user:newcomer']);
  });
});
