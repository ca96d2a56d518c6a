import { describe, expect, it } from 'vitest';
import { type MeJson, renderStatus } from './status.js';

const base: MeJson = {
  key: { id: 'key_1', name: null, user: 'alice', team: null, project: null },
  spend_controls: true,
  show_amounts: true,
  time_zone: 'America/Los_Angeles',
  budgets: [],
  increases: [],
  rate_limits: [],
};

const budget = (o: Partial<MeJson['budgets'][number]>): MeJson['budgets'][number] => ({
  budget_id: 'b',
  kind: 'budget',
  scope: 'user:alice',
  window: 'month',
  applies: 'always',
  used_percent: 50,
  limit_usd: '300',
  spent_usd: '150',
  remaining_usd: '150',
  resets_at: '2026-11-01T07:00:00.000Z',
  ...o,
});

describe('tollgate status', () => {
  it('says when the key expires, in the policy time zone', () => {
    expect(renderStatus({ ...base, key: { ...base.key, expires_at: '2027-01-31T08:00:00.000Z' } })).toMatch(/^Key key_1 \(user alice\), expires 2027-01-31 00:00 America\/Los_Angeles\n/);
    expect(renderStatus(base)).toMatch(/^Key key_1 \(user alice\)\n/);
  });

  it('shows the projected spend and the run-out moment in the policy time zone', () => {
    const out = renderStatus({
      ...base,
      budgets: [
        budget({ forecast: { status: 'will_run_out', method: 'weekday', daily_rate_usd: '10', projected_usd: '310', projected_percent: 103.3, runs_out_at: '2026-10-31T07:00:00.000Z' } }),
        budget({ scope: 'user:alice', window: '7d', forecast: { status: 'will_run_out', method: 'flat', daily_rate_usd: '50', projected_usd: '350', projected_percent: 116.6, runs_out_at: null } }),
        budget({ window: 'day', forecast: { status: 'on_track', method: 'flat', daily_rate_usd: '1', projected_usd: '20.5', projected_percent: 6.8, runs_out_at: null } }),
        budget({ window: 'week', forecast: { status: 'no_history', method: 'none', projected_usd: '150', projected_percent: 50, runs_out_at: null } }),
      ],
    });
    expect(out).toMatch(/SCOPE +WINDOW +SPENT +LIMIT +REMAINING +USED +PROJECTED +RUNS OUT +RESETS\n/);
    expect(out).toMatch(/user:alice +month +\$150\.00 +\$300\.00 +\$150\.00 +50% +\$310\.00 \(103%\) +2026-10-31 00:00 America\/Los_Angeles +2026-11-01 00:00/);
    expect(out).toMatch(/user:alice +7d .* +\$350\.00 \(117%\) +at this rate +/);
    expect(out).toMatch(/user:alice +day .* +\$20\.50 \(7%\) +- +/);
    expect(out).toMatch(/user:alice +week .* 50% +- +- +/);
    expect(out).toContain('PROJECTED: spend when the window ends');
  });

  it('keeps a budget’s amounts on one scale: cents once one reaches a dollar, a tiny nonzero amount reading <$0.01', () => {
    const out = renderStatus({
      ...base,
      budgets: [budget({ spent_usd: '0.000325', limit_usd: '425', remaining_usd: '424.999675', forecast: { status: 'on_track', method: 'flat', daily_rate_usd: '0.0006', projected_usd: '0.02', projected_percent: 0, runs_out_at: null } })],
    });
    expect(out).toMatch(/user:alice +month +<\$0\.01 +\$425\.00 +\$425\.00 +50% +\$0\.02 \(0%\) /);
    const small = renderStatus({ ...base, budgets: [budget({ spent_usd: '0.0463', limit_usd: '0.05', remaining_usd: '0.0037' })] });
    expect(small).toMatch(/user:alice +month +\$0\.0463 +\$0\.0500 +\$0\.0037 /);
  });

  it('shows only shares of the limit when amounts are hidden, and copes with a gateway without forecasts', () => {
    const hidden = renderStatus({
      ...base,
      show_amounts: false,
      budgets: [budget({ limit_usd: undefined, spent_usd: undefined, remaining_usd: undefined, forecast: { status: 'will_run_out', method: 'weekday', projected_percent: 120, runs_out_at: '2026-10-20T19:30:00.000Z' } })],
    });
    expect(hidden).toMatch(/SCOPE +WINDOW +USED +PROJECTED +RUNS OUT +RESETS\n/);
    expect(hidden).toMatch(/user:alice +month +50% +120% +2026-10-20 12:30 America\/Los_Angeles/);
    expect(hidden).not.toContain('$');
    const old = renderStatus({ ...base, budgets: [budget({})] });
    expect(old).toMatch(/user:alice +month +\$150\.00 +\$300\.00 +\$150\.00 +50% +- +- +2026-11-01 00:00/);
    expect(old).not.toContain('PROJECTED: spend');
  });

  it('names a pool as refusals do, by its id (and name), beside its scope', () => {
    const out = renderStatus({
      ...base,
      budgets: [budget({}), budget({ budget_id: 'platform-pool', kind: 'pool', scope: 'team:platform', used_percent: 100 }), budget({ budget_id: 'org-pool', kind: 'pool', name: 'Company', scope: 'org' })],
    });
    expect(out).toMatch(/\nuser:alice +month +\$150/);
    expect(out).toMatch(/\nteam:platform \(pool platform-pool\) +month +\$150\.00 +\$300\.00 +\$150\.00 +100% /);
    expect(out).toMatch(/\norg \(pool "Company" \(org-pool\)\) +month /);
  });
});

describe('tollgate status, asking for more', () => {
  it('names the gateway it asked in the increase command it suggests', () => {
    const out = renderStatus({ ...base, budgets: [budget({})] }, 'https://tollgate.example.com');
    expect(out).toContain('Need more? `tollgate budgets request --url https://tollgate.example.com --key tg_… --amount USD --hours N --reason "..."`');
  });
});
