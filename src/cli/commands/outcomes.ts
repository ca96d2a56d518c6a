import type { Command } from 'commander';
import { outcomeView, parseOutcome } from '../../outcomes/outcome.js';
import { OUTCOME_DIMENSIONS, isOutcomeDimension, outcomeReport } from '../../outcomes/report.js';
import { renderOutcomeCsv, renderOutcomeJson, renderOutcomeTable } from '../../outcomes/render.js';
import { type StorageFlags, addStorageFlags, parseWindow, parseWindowToNow, withStorage } from '../context.js';
import { type Io, UsageError } from '../output.js';
import { renderTable } from '../table.js';

interface AddFlags extends StorageFlags {
  kind: string;
  session?: string;
  user?: string;
  tag?: string;
  ts?: string;
  id?: string;
  value?: string;
}

const FLAG_OF: Record<string, string> = { kind: '--kind', session: '--session', user: '--user', tag: '--tag', ts: '--ts', id: '--id', value: '--value' };

/** `tollgate outcomes add|list|report`: delivered work, and what it cost. */
export function outcomesCommand(program: Command, io: Io): void {
  const group = program.command('outcomes').description('Record delivered work (merged PRs, closed tickets) and report cost per outcome');

  addStorageFlags(
    group
      .command('add')
      .description('Record an outcome (idempotent on --id)')
      .requiredOption('--kind <kind>', 'pr_merged, ticket_closed, task_completed or your own name')
      .option('--session <id>', 'the agent session that produced it')
      .option('--user <name>', 'who delivered it')
      .option('--tag <name=value>', 'a tag it belongs to, e.g. workflow=review')
      .option('--ts <time>', 'when it happened: a date, an ISO 8601 time (UTC without an offset) or ms since the epoch; default now')
      .option('--id <id>', 'your id for it (a PR URL, a ticket key); the same id is recorded once')
      .option('--value <n>', 'how many outcomes it is worth (default 1)'),
  ).action((flags: AddFlags) =>
    withStorage(flags, async (storage) => {
      let o;
      try {
        o = parseOutcome({ kind: flags.kind, session: flags.session, user: flags.user, tag: flags.tag, ts: flags.ts, id: flags.id, value: flags.value }, Date.now());
      } catch (err) {
        if (!(err instanceof RangeError)) throw err;
        const field = err.message.slice(0, err.message.indexOf(':'));
        throw new UsageError(FLAG_OF[field] ? `${FLAG_OF[field]}${err.message.slice(field.length)}` : `outcomes add: ${err.message}`);
      }
      const created = await storage.outcomes.add(o);
      io.out(created ? `Recorded outcome ${o.id} (${o.kind}).\n` : `Outcome ${o.id} was already recorded; nothing changed.\n`);
    }),
  );

  addStorageFlags(
    group
      .command('list')
      .description('List recorded outcomes, oldest first')
      .option('--since <time>', 'start: 30m, 24h, 7d, a date or an ISO timestamp', '30d')
      .option('--until <time>', 'end (exclusive)')
      .option('--kind <kind>', 'only this kind')
      .option('--json', 'print JSON'),
  ).action((flags: StorageFlags & { since?: string; until?: string; kind?: string; json?: boolean }) =>
    withStorage(flags, async (storage) => {
      const list = (await storage.outcomes.list({ ...parseWindow(flags), kind: flags.kind })).map(outcomeView);
      if (flags.json) return io.out(JSON.stringify({ data: list }, null, 2) + '\n');
      if (list.length === 0) return io.out('No outcomes in this window. Record one with `tollgate outcomes add` or POST /admin/v1/outcomes.\n');
      const cell = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '-');
      io.out(renderTable(['ID', 'KIND', 'TS', 'SESSION', 'USER', 'TAG', 'VALUE'], list.map((o) => [o.id, o.kind, o.ts, o.session, o.user, o.tag, o.value].map(cell)), [6]));
    }, { read: true }),
  );

  addStorageFlags(
    group
      .command('report')
      .description('Cost per outcome next to raw spend, grouped (see docs/finops.md#outcomes for the attribution rule)')
      .option('--since <time>', 'start: 30m, 24h, 7d, a date or an ISO timestamp', '30d')
      .option('--until <time>', 'end (exclusive); default now')
      .option('--by <dimension>', OUTCOME_DIMENSIONS, 'user')
      .option('--kind <kind>', 'only outcomes of this kind (default all)')
      .option('--format <format>', 'table, json or csv', 'table'),
  ).action((flags: StorageFlags & { since?: string; until?: string; by: string; kind?: string; format: string }) =>
    withStorage(flags, async (storage) => {
      if (!isOutcomeDimension(flags.by)) throw new UsageError(`--by: cannot group outcomes by "${flags.by}" (use ${OUTCOME_DIMENSIONS})`);
      if (!['table', 'json', 'csv'].includes(flags.format)) throw new UsageError('--format must be table, json or csv');
      const report = await outcomeReport(storage.ledger, storage.outcomes, { ...parseWindowToNow(flags), by: flags.by, kind: flags.kind });
      io.out(flags.format === 'json' ? renderOutcomeJson(report) : flags.format === 'csv' ? renderOutcomeCsv(report) : renderOutcomeTable(report));
    }, { read: true }),
  );
}
