import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { type Picos, usd, usdColumn } from '../../core/money.js';
import type { IncreaseJson } from '../../server/policy-views.js';
import { callAdmin, defaultUrl } from '../admin-client.js';
import { loadCliConfig } from '../context.js';
import { type Io, UsageError } from '../output.js';
import { renderTable } from '../table.js';

/** GET /admin/v1/me as the CLI reads it. Amounts are absent when the gateway shows percentages only. */
export interface MeJson {
  /** `expires_at` is absent from gateways older than key expiry. */
  key: { id: string; name: string | null; user: string | null; team: string | null; project: string | null; expires_at?: string | null };
  spend_controls: boolean;
  show_amounts?: boolean;
  time_zone?: string;
  budgets: {
    budget_id: string;
    kind: string;
    name?: string | null;
    scope: string;
    window: string;
    applies: 'always' | 'conditional';
    used_percent: number;
    limit_usd?: string;
    spent_usd?: string;
    remaining_usd?: string;
    resets_at: string;
    /** Absent from gateways older than the forecast; null when it could not be made. */
    forecast?: ForecastJson | null;
  }[];
  increases: (Omit<IncreaseJson, 'amount_usd'> & { amount_usd?: string })[];
  rate_limits: { id: string; scope: string; rpm: number | null; tpm: number | null; concurrency: number | null; applies: string }[];
}

/** A budget's forecast in `/me` and `/budgets/status` (amounts absent when hidden). */
export interface ForecastJson {
  status: 'exhausted' | 'will_run_out' | 'on_track' | 'no_history';
  method: string;
  daily_rate_usd?: string;
  projected_usd?: string;
  projected_percent: number | null;
  runs_out_at: string | null;
}

/** `tollgate status --key tg_…`: a developer's budgets, what is left, when they reset, and their increase requests. */
export function statusCommand(program: Command, io: Io): void {
  program
    .command('status')
    .description("Your budgets, spend and resets, as the gateway sees your key (GET /admin/v1/me)")
    .option('--key <tg_key>', 'your Tollgate key (default $TOLLGATE_KEY)')
    .option('--url <url>', 'the gateway (default from the config: http://127.0.0.1:8790, https with server.tls)')
    .option('--config <file>', 'YAML config file, for the default --url')
    .option('--json', 'print the JSON the gateway returned')
    .action(async (flags: { key?: string; url?: string; config?: string; json?: boolean }) => {
      const key = flags.key ?? process.env.TOLLGATE_KEY;
      if (!key) throw new UsageError('status: give your key with --key tg_… (or set TOLLGATE_KEY)');
      const url = flags.url ?? defaultUrl(loadCliConfig(flags));
      const me = (await callAdmin({ url, path: '/admin/v1/me', bearer: key })) as MeJson;
      io.out(flags.json ? JSON.stringify(me, null, 2) + '\n' : renderStatus(me, url));
    });
}

/** `url`: the gateway asked, which the increase command it suggests names, so that it goes there too from any machine. */
export function renderStatus(me: MeJson, url?: string): string {
  const k = me.key;
  const who = [k.user && `user ${k.user}`, k.team && `team ${k.team}`, k.project && `project ${k.project}`].filter(Boolean).join(', ');
  const tz = me.time_zone ?? 'UTC';
  const when = (iso: string) => `${DateTime.fromISO(iso).setZone(tz).toFormat('yyyy-LL-dd HH:mm')} ${tz}`;
  let out = `Key ${k.id}${who ? ` (${who})` : ''}${k.expires_at ? `, expires ${when(k.expires_at)}` : ''}\n\n`;
  if (!me.spend_controls) return out + 'Spend controls are off in this gateway.\n';
  if (me.budgets.length === 0) out += 'No budgets apply to you.\n';
  else {
    // A pool as refusals name it: its scope alone would read as a budget of that scope.
    const pool = (b: MeJson['budgets'][number]) => (b.kind !== 'pool' ? '' : ` (pool ${b.name ? `"${b.name}" (${b.budget_id})` : b.budget_id})`);
    const mark = (b: MeJson['budgets'][number]) => `${b.scope}${pool(b)}${b.applies === 'conditional' ? ' *' : ''}`;
    const hidden = me.show_amounts === false;
    const dollars = amounts(me.budgets.flatMap((b) => [b.spent_usd, b.limit_usd, b.remaining_usd, b.forecast?.projected_usd]));
    const runsOut = (f: ForecastJson | null | undefined) => (!f ? '-' : f.runs_out_at ? when(f.runs_out_at) : f.status === 'will_run_out' ? 'at this rate' : '-');
    const rows = me.budgets.map((b) =>
      hidden
        ? [mark(b), b.window, `${b.used_percent}%`, projected(b.forecast, undefined), runsOut(b.forecast), when(b.resets_at)]
        : [mark(b), b.window, dollars(b.spent_usd), dollars(b.limit_usd), dollars(b.remaining_usd), `${b.used_percent}%`, projected(b.forecast, dollars), runsOut(b.forecast), when(b.resets_at)],
    );
    const head = hidden ? ['SCOPE', 'WINDOW', 'USED', 'PROJECTED', 'RUNS OUT', 'RESETS'] : ['SCOPE', 'WINDOW', 'SPENT', 'LIMIT', 'REMAINING', 'USED', 'PROJECTED', 'RUNS OUT', 'RESETS'];
    out += renderTable(head, rows, hidden ? [2, 3] : [2, 3, 4, 5, 6]);
    if (me.budgets.some((b) => b.applies === 'conditional')) out += '* applies only to some requests (a model or provider budget)\n';
    if (me.budgets.some((b) => b.forecast)) out += 'PROJECTED: spend when the window ends at the recent daily rate (rolling windows: one span ahead); RUNS OUT: when it reaches the limit.\n';
  }
  const increaseUsd = amounts(me.increases.map((i) => i.amount_usd));
  const pending = me.increases.filter((i) => i.status === 'pending');
  const approved = me.increases.filter((i) => i.status === 'approved');
  if (approved.length) out += `\nApproved increases:\n${approved.map((i) => `  ${i.id}  ${i.scope}${i.budget_id ? ` (${i.budget_id})` : ''}  ${i.amount_usd ? `+${increaseUsd(i.amount_usd)}` : ''}  until ${i.expires_at ? when(i.expires_at) : '-'}\n`).join('')}`;
  if (pending.length) out += `\nPending increases:\n${pending.map((i) => `  ${i.id}  ${i.scope}${i.budget_id ? ` (${i.budget_id})` : ''}  ${i.amount_usd ? `+${increaseUsd(i.amount_usd)}` : ''}  for ${i.hours} h  "${i.reason}"\n`).join('')}`;
  if (me.rate_limits.length) {
    out += `\nRate limits:\n`;
    for (const r of me.rate_limits) {
      const parts = [r.rpm !== null && `${r.rpm} requests/min`, r.tpm !== null && `${r.tpm.toLocaleString('en-US')} tokens/min`, r.concurrency !== null && `${r.concurrency} at once`].filter(Boolean);
      out += `  ${r.scope}: ${parts.join(', ')}\n`;
    }
  }
  if (!pending.length) out += `\nNeed more? \`tollgate budgets request${url ? ` --url ${url}` : ''} --key tg_… --amount USD --hours N --reason "..."\`\n`;
  return out;
}

/** Projected spend at the end of the window, with its share of the limit; `dollars` formats amounts, unset when they are hidden. */
function projected(f: ForecastJson | null | undefined, dollars: ((text: string | undefined) => string) | undefined): string {
  if (!f || f.status === 'no_history') return '-';
  const percent = f.projected_percent === null ? '' : `${Math.round(f.projected_percent)}%`;
  if (!dollars || f.projected_usd === undefined) return percent || '-';
  return percent ? `${dollars(f.projected_usd)} (${percent})` : dollars(f.projected_usd);
}

/** Dollars for people, all of `texts` on one scale (see usdColumn); the JSON keeps the exact amounts. */
function amounts(texts: (string | undefined)[]): (text: string | undefined) => string {
  const show = usdColumn(texts.flatMap((t): Picos[] => (t === undefined ? [] : [usd(t)])));
  return (text) => (text === undefined ? '-' : show(usd(text)));
}
