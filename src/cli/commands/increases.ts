import type { Command } from 'commander';
import type { Config } from '../../config/index.js';
import { formatUsd, usd } from '../../core/money.js';
import { IncreaseService, MAX_INCREASE_HOURS } from '../../policy/increases.js';
import type { Increase, IncreaseStatus } from '../../policy/rules.js';
import { formatScope, parseScope } from '../../policy/scope.js';
import { MAX_AMOUNT_USD } from '../../policy/rule-input.js';
import { fileIncrease } from '../../server/file-increase.js';
import { type IncreaseJson, increaseView } from '../../server/policy-views.js';
import { budgets, pools } from '../../server/rule-changes.js';
import type { Storage } from '../../storage/ports.js';
import { callAdmin, defaultUrl } from '../admin-client.js';
import { openCliAlerts } from '../alerts.js';
import { type StorageFlags, addStorageFlags, loadCliConfig, withStorage } from '../context.js';
import { CommandError, type Io, UsageError, parsedInput } from '../output.js';
import { actorName, change, rulesWithConfig } from '../rules.js';
import { renderTable } from '../table.js';

interface RequestFlags extends StorageFlags {
  scope?: string;
  amount: string;
  hours: string;
  reason: string;
  budget?: string;
  as?: string;
  key?: string;
  url?: string;
  json?: boolean;
}

interface DecideFlags extends StorageFlags {
  note?: string;
  as?: string;
  json?: boolean;
}

const STATUSES: readonly IncreaseStatus[] = ['pending', 'approved', 'denied', 'expired'];

/** Without a key the request goes into a local ledger: with none here, the developer meant the gateway. */
const NO_LEDGER = 'to ask the running gateway, give your key and its address (--key tg_… or TOLLGATE_KEY, and --url <gateway URL>); on the gateway host, point --db or --config at its ledger';

/** `budgets request|increases|approve|deny`: consent to exceed a budget for a while. */
export function increaseCommands(group: Command, io: Io): void {
  addStorageFlags(
    group
      .command('request')
      .description('Ask for a temporary increase; an approver approves or denies it')
      .option('--scope <scope>', 'whose budgets to raise (default with --key: your user)')
      .requiredOption('--amount <usd>', 'how much more, in USD')
      .requiredOption('--hours <n>', 'for how long once approved')
      .requiredOption('--reason <text>', 'why (approvers see it)')
      .option('--budget <id>', 'raise only this budget')
      .option('--as <name>', 'who is asking (default: your OS user); ignored with --key')
      .option('--key <tg_key>', 'ask through the running gateway as the owner of this key (default $TOLLGATE_KEY)')
      .option('--url <url>', 'the gateway, with --key (default from the config: http://127.0.0.1:8790, https with server.tls)')
      .option('--json', 'print JSON'),
  ).action(async (flags: RequestFlags) => {
    const key = flags.key ?? process.env.TOLLGATE_KEY;
    const amount = checkedAmount(flags.amount);
    checkedHours(flags.hours);
    const direct = () => withStorage(flags, (storage, config) => requestDirect(storage, config, flags, amount), { read: true, noLedger: NO_LEDGER });
    const inc = await (key ? requestThroughGateway(flags, key, amount) : direct()).catch((err: unknown) => {
      throw asFlagError(err);
    });
    if (flags.json) return io.out(JSON.stringify(inc, null, 2) + '\n');
    const what = `+$${inc.amount_usd} on ${inc.scope}${inc.budget_id ? ` (budget ${inc.budget_id})` : ''} for ${inc.hours} h`;
    io.out(`Requested ${inc.id}: ${what}. It is pending until an approver runs \`tollgate budgets approve ${inc.id}\`.\n`);
  });

  addStorageFlags(group.command('increases').description('List increase requests, newest first').option('--status <status>', 'pending, approved, denied or expired').option('--json', 'print JSON')).action(
    (flags: StorageFlags & { status?: string; json?: boolean }) =>
      withStorage(flags, async (storage) => {
        if (flags.status !== undefined && !STATUSES.includes(flags.status as IncreaseStatus)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
        const list = await storage.policy.listIncreases(flags.status ? { status: flags.status as IncreaseStatus } : {});
        if (flags.json) return io.out(JSON.stringify(list.map(increaseView), null, 2) + '\n');
        if (list.length === 0) return io.out(`No ${flags.status ?? ''}${flags.status ? ' ' : ''}increase requests.\n`);
        io.out(renderIncreases(list));
      }, { read: true }),
  );

  for (const approve of [true, false]) {
    const verb = approve ? 'approve' : 'deny';
    addStorageFlags(
      group
        .command(verb)
        .description(approve ? 'Approve a pending increase: the limit rises at once, for its hours' : 'Deny a pending increase')
        .argument('<id>', 'the increase id (inc_…)')
        .option('--note <text>', 'a note for the requester')
        .option('--as <name>', 'who decides (default: your OS user)')
        .option('--json', 'print JSON'),
    ).action((id: string, flags: DecideFlags) =>
      withStorage(flags, (storage, config) =>
        withIncreases(storage, config, async (svc) => {
          const done = await svc.decide(id, approve, actorName(flags.as), flags.note ?? null).catch((err: unknown) => {
            throw err instanceof RangeError ? new CommandError(err.message) : err;
          });
          if (flags.json) return io.out(JSON.stringify(increaseView(done), null, 2) + '\n');
          const until = done.expiresAt === null ? '' : ` until ${new Date(done.expiresAt).toISOString()}`;
          io.out(`${approve ? 'Approved' : 'Denied'} ${done.id}: +$${formatUsd(done.amountPicos)} on ${formatScope(done.scope)}${until}.${approve ? ' Running gateways apply it within 2 seconds.' : ''}\n`);
        }),
      // An increase to decide is in the gateway's ledger: none here means the wrong place, not a ledger to make.
      { read: true }),
    );
  }
}

function checkedHours(text: string): void {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || n < 1 || n > MAX_INCREASE_HOURS) throw new UsageError(`--hours: must be a whole number from 1 to ${MAX_INCREASE_HOURS} (${text})`);
}

/** An error about a field of the increase (the API's names), told by the flag that sets it. */
function asFlagError(err: unknown): unknown {
  const m = err instanceof Error ? /^(budget_id|scope): ([\s\S]*)$/.exec(err.message) : null;
  return m ? new UsageError(`--${m[1] === 'budget_id' ? 'budget' : 'scope'}: ${m[2]!.replace(/\bbudget_id\b/g, '--budget')}`) : err;
}

function checkedAmount(text: string): string {
  parsedInput(
    () => {
      const p = usd(text);
      if (p <= 0n) throw new RangeError('must be more than 0');
      if (p > usd(String(MAX_AMOUNT_USD))) throw new RangeError(`must be at most ${MAX_AMOUNT_USD}`);
    },
    (p) => `--amount: must be a USD amount such as 25 or 12.50 (${p})`,
  );
  return text.trim();
}

/** Through POST /admin/v1/me/increases: the gateway checks the scope is the key owner's own. */
async function requestThroughGateway(flags: RequestFlags, key: string, amount: string): Promise<IncreaseJson> {
  const url = flags.url ?? defaultUrl(loadCliConfig(flags));
  const body = { scope: flags.scope, budget_id: flags.budget, amount_usd: amount, hours: Number(flags.hours), reason: flags.reason };
  return (await callAdmin({ url, method: 'POST', path: '/admin/v1/me/increases', bearer: key, body })) as IncreaseJson;
}

/** Straight into storage, as whoever runs the command (`--as`): for admins and scripts on the gateway host. */
function requestDirect(storage: Storage, config: Config, flags: RequestFlags, amount: string): Promise<IncreaseJson> {
  const typed = flags.scope;
  const scope = typed === undefined ? undefined : parsedInput(() => parseScope(typed), (p) => `--scope: ${p}`);
  return withIncreases(storage, config, async (svc) => {
    const all = [...(await rulesWithConfig(storage, config.rules.budgets.filter((b) => b.kind === 'budget'), budgets)), ...(await rulesWithConfig(storage, config.rules.budgets.filter((b) => b.kind === 'pool'), pools))];
    const filing = { scope, budget_id: flags.budget, amount_usd: usd(amount), hours: Number(flags.hours), reason: flags.reason, requestedBy: actorName(flags.as) };
    return increaseView(await change(() => fileIncrease(svc, all, filing)));
  });
}

/** An increase service whose requests and decisions also go to the config's webhooks. */
async function withIncreases<T>(storage: Storage, config: Config, fn: (svc: IncreaseService) => Promise<T>): Promise<T> {
  const alerts = openCliAlerts(config, storage.alertOutbox);
  try {
    return await fn(new IncreaseService(storage.policy, alerts.events));
  } finally {
    await alerts.close();
  }
}

export function renderIncreases(list: Increase[]): string {
  const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 16).replace('T', ' '));
  const rows = list.map((i) => [i.id, i.status, formatScope(i.scope), i.budgetId ?? '-', formatUsd(i.amountPicos), String(i.hours), i.requestedBy, iso(i.createdAt), i.decidedBy ?? '-', iso(i.expiresAt), i.reason]);
  return renderTable(['ID', 'STATUS', 'SCOPE', 'BUDGET', 'AMOUNT (USD)', 'HOURS', 'REQUESTED BY', 'CREATED (UTC)', 'DECIDED BY', 'EXPIRES (UTC)', 'REASON'], rows, [4, 5]);
}
