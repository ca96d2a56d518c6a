import type { Command } from 'commander';
import { parseTimeWindow } from '../../reports/time.js';
import { auditView } from '../../server/policy-views.js';
import { adminToken, callAdmin, defaultUrl } from '../admin-client.js';
import { type StorageFlags, addStorageFlags, loadCliConfig, withStorage } from '../context.js';
import { type Io, UsageError, parsedInput } from '../output.js';
import { renderTable } from '../table.js';

interface Drift {
  budget_id: string;
  scope: string;
  window: string;
  window_start: string;
  counted_usd: string;
  ledger_usd: string;
  drift_usd: string;
  initialized: boolean;
  fixed: boolean;
}

/** `budgets audit` (from storage) and `budgets reconcile` (through the running gateway). */
export function budgetOpsCommands(group: Command, io: Io): void {
  addStorageFlags(
    group
      .command('audit')
      .description('Who changed budgets, limits and policies, who asked for and decided increases, and who gave stored objects their owners (objects assign, forget)')
      .option('--since <time>', 'from: 30m, 24h, 7d, a date or an ISO timestamp', '7d')
      .option('--until <time>', 'before this time (default: now); to read further back than --limit, the oldest time shown')
      .option('--limit <n>', 'at most this many entries, newest first', '200')
      .option('--json', 'print JSON'),
  ).action((flags: StorageFlags & { since: string; until?: string; limit: string; json?: boolean }) =>
    withStorage(flags, async (storage) => {
      const window = parsedInput(() => parseTimeWindow(flags.since, flags.until), (p) => `--since/--until: ${p}`);
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a whole number above 0');
      const list = (await storage.policy.listAudit({ ...window, limit })).map(auditView);
      if (flags.json) return io.out(JSON.stringify(list, null, 2) + '\n');
      if (list.length === 0) return io.out('No audit entries in this window.\n');
      const rows = list.map((e) => [e.ts.slice(0, 19).replace('T', ' '), e.actor, e.action, e.subject, clip(JSON.stringify(e.details), 100)]);
      io.out(renderTable(['TIME (UTC)', 'ACTOR', 'ACTION', 'SUBJECT', 'DETAILS'], rows));
      if (rows.some((r) => r[4]!.endsWith('…'))) io.out('Details are shortened here; --json has them in full.\n');
      // A millisecond past the oldest shown (--until is exclusive): entries of its millisecond the limit cut show then, those shown again.
      if (list.length === limit) io.out(`The newest ${limit} entries; for older ones, --until ${new Date(Date.parse(list.at(-1)!.ts) + 1).toISOString()} (or a larger --limit).\n`);
    }, { read: true }),
  );

  group
    .command('reconcile')
    .description("Compare each budget's counter with the ledger in the running gateway (needs TOLLGATE_ADMIN_TOKEN)")
    .option('--fix', 'add the difference to the counters so they match the ledger, and release the holds of requests that have ended')
    .option('--url <url>', 'the gateway (default from the config: http://127.0.0.1:8790, https with server.tls)')
    .option('--config <file>', 'YAML config file, for the default --url')
    .option('--json', 'print JSON')
    .action(async (flags: { fix?: boolean; url?: string; config?: string; json?: boolean }) => {
      // Counters of a single node live in the serve process, so this asks it rather than reading storage.
      const token = adminToken();
      const url = flags.url ?? defaultUrl(loadCliConfig(flags));
      const res = (await callAdmin({ url, path: `/admin/v1/budgets/reconcile${flags.fix ? '?fix=true' : ''}`, bearer: token })) as { data: Drift[]; ended_holds?: number; released_holds?: number };
      if (flags.json) return io.out(JSON.stringify(res, null, 2) + '\n');
      // Holds of requests whose row is in the ledger (a gateway of an earlier version does not say).
      const ended = res.ended_holds ?? 0;
      const released = res.released_holds ?? 0;
      let holds = '';
      if (flags.fix && released > 0) holds = `Released ${released} hold(s) of requests that had ended; their cost counts from the ledger.\n`;
      else if (!flags.fix && ended > 0) holds = `${ended} hold(s) belong to requests that have ended; run again with --fix to release them.\n`;
      if (res.data.length === 0) return io.out(`No budgets to reconcile.\n${holds}`);
      const rows = res.data.map((d) => [d.budget_id, d.window, d.window_start.slice(0, 16).replace('T', ' '), d.counted_usd, d.ledger_usd, d.drift_usd, d.initialized ? (d.fixed ? 'fixed' : d.drift_usd === '0' ? 'ok' : 'drift') : 'not started']);
      io.out(renderTable(['BUDGET', 'WINDOW', 'SINCE (UTC)', 'COUNTED (USD)', 'LEDGER (USD)', 'DRIFT (USD)', 'STATE'], rows, [3, 4, 5]));
      const drifting = res.data.filter((d) => d.initialized && d.drift_usd !== '0' && !d.fixed).length;
      if (drifting > 0) io.out(`${drifting} budget(s) drift from the ledger; run again with --fix to correct the counters.\n`);
      io.out(holds);
    });
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
