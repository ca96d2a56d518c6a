import type { Command } from 'commander';
import type { Config } from '../../config/index.js';
import { type BudgetForecast, DEFAULT_LOOKBACK_DAYS, forecastBudgets, forecastView, projectedPercent } from '../../forecast/budgets.js';
import { usdColumn } from '../../core/money.js';
import type { RuleSet } from '../../policy/rules.js';
import { formatScope } from '../../policy/scope.js';
import { formatWindow } from '../../policy/window.js';
import { budgets, pools } from '../../server/rule-changes.js';
import type { Storage } from '../../storage/ports.js';
import { type StorageFlags, addStorageFlags, withStorage } from '../context.js';
import { type Io, UsageError } from '../output.js';
import { rulesWithConfig } from '../rules.js';
import { renderTable } from '../table.js';

interface ForecastFlags extends StorageFlags {
  budget?: string[];
  lookback: string;
  format: string;
}

/** `tollgate forecast`: burn rate, projected window-end spend and run-out date per budget and pool. */
export function forecastCommand(program: Command, io: Io): void {
  addStorageFlags(
    program
      .command('forecast')
      .description('Burn rate, projected spend at the end of the window, and when each budget runs out')
      .option('--budget <id...>', 'only these budgets or pools')
      .option('--lookback <days>', 'days of history to learn from (7 to 90)', String(DEFAULT_LOOKBACK_DAYS))
      .option('--format <format>', 'table or json', 'table'),
  ).action((flags: ForecastFlags) =>
    withStorage(flags, async (storage, config) => {
      const lookbackDays = Number(flags.lookback);
      if (!Number.isInteger(lookbackDays) || lookbackDays < 7 || lookbackDays > 90) throw new UsageError(`--lookback must be a whole number of days from 7 to 90, not "${flags.lookback}"`);
      if (flags.format !== 'table' && flags.format !== 'json') throw new UsageError('forecast: --format must be table or json');
      const rules = await currentRules(storage, config);
      const unknown = (flags.budget ?? []).find((id) => !rules.budgets.some((b) => b.id === id));
      if (unknown) throw new UsageError(`--budget: no budget or pool "${unknown}" (see \`tollgate budgets list\`)`);
      const list = await forecastBudgets(storage.ledger, rules, { timeZone: config.policy.timeZone, keyPrefix: config.policy.keyPrefix, now: Date.now(), lookbackDays, ids: flags.budget });
      io.out(flags.format === 'json' ? JSON.stringify({ time_zone: config.policy.timeZone, data: list.map(forecastView) }, null, 2) + '\n' : renderForecast(list, config.policy.timeZone));
    }, { read: true }),
  );
}

/** Budgets and pools from the config and storage, with approved increases (they raise limits). */
export async function currentRules(storage: Storage, config: Config): Promise<RuleSet> {
  const fromConfig = config.rules.budgets;
  return {
    budgets: [...(await rulesWithConfig(storage, fromConfig.filter((b) => b.kind === 'budget'), budgets)), ...(await rulesWithConfig(storage, fromConfig.filter((b) => b.kind === 'pool'), pools))],
    rateLimits: [],
    modelPolicies: [],
    increases: await storage.policy.listIncreases({ status: 'approved' }),
  };
}

export function renderForecast(list: BudgetForecast[], tz: string): string {
  if (list.length === 0) return 'No budgets or pools to forecast. Create one with `tollgate budgets set`.\n';
  const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toLocaleString('sv-SE', { timeZone: tz }).slice(0, 16));
  const status = { exhausted: 'spent', will_run_out: 'runs out', on_track: 'on track', no_history: 'no history' } as const;
  const usd = usdColumn(list.flatMap(({ forecast: f }) => [f.spentPicos, f.limitPicos, f.dailyRatePicos, f.projectedPicos]));
  const rows = list.map(({ budget: b, forecast: f }) => [
    b.id,
    formatScope(b.scope),
    formatWindow(b.window),
    usd(f.spentPicos),
    usd(f.limitPicos),
    usd(f.dailyRatePicos),
    usd(f.projectedPicos),
    f.limitPicos > 0n ? `${projectedPercent(f)!.toFixed(1)}%` : '-',
    when(f.runOutAt),
    status[f.status],
  ]);
  const head = ['ID', 'SCOPE', 'WINDOW', 'SPENT', 'LIMIT', 'PER DAY', 'PROJECTED', 'OF LIMIT', `RUNS OUT (${tz})`, 'STATUS'];
  return renderTable(head, rows, [3, 4, 5, 6, 7]) + 'PROJECTED: at the end of the window (rolling windows: one span at the current rate). Method: docs/finops.md#forecasts\n';
}
