import type { Command } from 'commander';
import type { Config } from '../../config/index.js';
import { formatUsd } from '../../core/money.js';
import { budgetInput, poolInput, toBudget } from '../../policy/rule-input.js';
import type { Budget } from '../../policy/rules.js';
import { formatScope } from '../../policy/scope.js';
import { formatWindow } from '../../policy/window.js';
import { budgetView } from '../../server/policy-views.js';
import { budgets, pools, setRule } from '../../server/rule-changes.js';
import type { Storage } from '../../storage/ports.js';
import { type StorageFlags, addStorageFlags, withStorage } from '../context.js';
import { type Io, UsageError } from '../output.js';
import { APPLIES_SOON, actorName, change, changeContext, deleteCommand, commaList, numberFlag, ruleFromFlags, rulesWithConfig } from '../rules.js';
import { renderTable } from '../table.js';
import { budgetOpsCommands } from './budget-ops.js';
import { increaseCommands } from './increases.js';

interface SetFlags extends StorageFlags {
  scope: string;
  window: string;
  limit: string;
  id?: string;
  name?: string;
  thresholds?: string;
  fail?: string;
  pool?: string;
  downgradeAt?: string;
  downgradeTo?: string;
  enforceMaxTokens?: boolean;
}

const FLAGS = { scope: '--scope', window: '--window', limit_usd: '--limit', id: '--id', name: '--name', thresholds: '--thresholds', fail: '--fail', pool: '--pool', 'downgrade.at_percent': '--downgrade-at', 'downgrade.to': '--downgrade-to' };

export function budgetsCommand(program: Command, io: Io): void {
  const group = program.command('budgets').description('Spend caps per scope and window, pools, increase requests and the audit log');

  addStorageFlags(
    group
      .command('set')
      .description('Create or update a budget (the same scope and window update the same budget unless --id differs)')
      .requiredOption('--scope <scope>', 'what it caps: org, user:NAME, team:NAME, project:NAME, key:ID, tag:NAME=VALUE, model:GLOB, provider:NAME')
      .requiredOption('--window <window>', 'day, week, month, quarter, or a rolling span such as 5h or 7d')
      .requiredOption('--limit <usd>', 'the cap in USD, e.g. 40 or 12.50')
      .option('--id <id>', 'an id of your choice (default: derived from scope and window)')
      .option('--name <name>', 'a label for people (shown in refusals)')
      .option('--thresholds <percents>', 'alert at these percentages of the limit (default 50,80,100)')
      .option('--fail <mode>', 'when the shared counters are down: open (admit) or closed (refuse)')
      .option('--pool <id>', 'the pool this budget draws on once it is spent')
      .option('--downgrade-at <percent>', 'past this share of the limit, serve --downgrade-to instead')
      .option('--downgrade-to <model>', 'the cheaper model to serve under pressure')
      .option('--enforce-max-tokens', 'cap the output upstream to what the budget can still pay for'),
  ).action((flags: SetFlags) =>
    withStorage(flags, async (storage, config) => {
      if ((flags.downgradeAt === undefined) !== (flags.downgradeTo === undefined)) throw new UsageError('--downgrade-at and --downgrade-to go together');
      const input = ruleFromFlags(
        budgetInput,
        {
          id: flags.id,
          name: flags.name,
          scope: flags.scope,
          window: flags.window,
          limit_usd: flags.limit,
          thresholds: commaList(flags.thresholds)?.map(Number),
          fail: flags.fail,
          pool: flags.pool,
          downgrade: flags.downgradeTo === undefined ? undefined : { at_percent: numberFlag(flags.downgradeAt), to: flags.downgradeTo },
          enforce_max_tokens: flags.enforceMaxTokens,
        },
        FLAGS,
      );
      const done = await change(() => setRule(changeContext(storage, config, actorName(undefined)), budgets, toBudget(input, 'budget', 'api', Date.now())));
      io.out(`${done.created ? 'Created' : 'Updated'} budget ${describe(done.rule)}. ${APPLIES_SOON}\n`);
      const known = await poolIds(storage, config);
      if (done.rule.pool !== null && !known.has(done.rule.pool)) io.out(`Note: pool ${done.rule.pool} does not exist yet; create it with \`tollgate budgets pool set --id ${done.rule.pool} ...\`.\n`);
    }),
  );

  addStorageFlags(group.command('list').description('List budgets from the config file and those made here').option('--json', 'print JSON')).action((flags: StorageFlags & { json?: boolean }) =>
    withStorage(flags, async (storage, config) => printBudgets(io, await rulesWithConfig(storage, config.rules.budgets.filter((b) => b.kind === 'budget'), budgets), await poolIds(storage, config), flags.json), { read: 'rules' }),
  );

  deleteCommand(group, io, budgets);

  poolCommands(group, io);
  increaseCommands(group, io);
  budgetOpsCommands(group, io);
}

function poolCommands(group: Command, io: Io): void {
  const pool = group.command('pool').description('Shared pools that budgets draw on once they are spent');
  addStorageFlags(
    pool
      .command('set')
      .description('Create or update a pool')
      .requiredOption('--scope <scope>', 'which requests it may pay for, e.g. team:platform')
      .requiredOption('--window <window>', 'day, week, month, quarter, or a rolling span')
      .requiredOption('--limit <usd>', 'the pool in USD')
      .option('--id <id>', 'the id budgets name with --pool (default: derived from scope and window)')
      .option('--name <name>', 'a label for people')
      .option('--thresholds <percents>', 'alert at these percentages (default 50,80,100)')
      .option('--fail <mode>', 'open or closed'),
  ).action((flags: SetFlags) =>
    withStorage(flags, async (storage, config) => {
      const input = ruleFromFlags(poolInput, { id: flags.id, name: flags.name, scope: flags.scope, window: flags.window, limit_usd: flags.limit, thresholds: commaList(flags.thresholds)?.map(Number), fail: flags.fail }, FLAGS);
      const done = await change(() => setRule(changeContext(storage, config, actorName(undefined)), pools, toBudget(input, 'pool', 'api', Date.now())));
      io.out(`${done.created ? 'Created' : 'Updated'} pool ${describe(done.rule)}. ${APPLIES_SOON}\n`);
    }),
  );
  addStorageFlags(pool.command('list').description('List pools').option('--json', 'print JSON')).action((flags: StorageFlags & { json?: boolean }) =>
    withStorage(flags, async (storage, config) => printBudgets(io, await rulesWithConfig(storage, config.rules.budgets.filter((b) => b.kind === 'pool'), pools), undefined, flags.json), { read: 'rules' }),
  );
  deleteCommand(pool, io, pools, 'Budgets that name it no longer draw on it. ');
}

function describe(b: Budget): string {
  return `${b.id} (${formatScope(b.scope)}, ${formatWindow(b.window)}, $${formatUsd(b.limitPicos)})`;
}

async function poolIds(storage: Storage, config: Config): Promise<Set<string>> {
  return new Set([...config.rules.budgets, ...(await storage.policy.listBudgets())].filter((b) => b.kind === 'pool').map((b) => b.id));
}

function printBudgets(io: Io, list: Budget[], known: Set<string> | undefined, json: boolean | undefined): void {
  const views = list.map((b) => budgetView(b, known));
  if (json) return io.out(JSON.stringify(views, null, 2) + '\n');
  const kind = known ? 'budgets' : 'pools';
  if (list.length === 0) return io.out(`No ${kind} yet. Create one with \`tollgate budgets ${known ? '' : 'pool '}set --scope ... --window ... --limit ...\`.\n`);
  const rows = list.map((b) => [
    b.id,
    formatScope(b.scope),
    formatWindow(b.window),
    formatUsd(b.limitPicos),
    ...(known ? [b.pool ? (known.has(b.pool) ? b.pool : `${b.pool} (missing!)`) : '-', b.downgrade ? `${b.downgrade.atPercent}% -> ${b.downgrade.to}` : '-'] : []),
    b.thresholds.join(','),
    b.fail,
    b.source,
  ]);
  const head = ['ID', 'SCOPE', 'WINDOW', 'LIMIT (USD)', ...(known ? ['POOL', 'DOWNGRADE'] : []), 'ALERTS AT %', 'FAIL', 'SOURCE'];
  io.out(renderTable(head, rows, [3]));
  const missing = list.filter((b) => known && b.pool !== null && !known.has(b.pool));
  for (const b of missing) io.out(`! ${b.id} names pool ${b.pool}, which does not exist: it cannot draw on it until the pool is created.\n`);
}
