import type { Command } from 'commander';
import { rateLimitInput, toRateLimit } from '../../policy/rule-input.js';
import type { RateLimit } from '../../policy/rules.js';
import { formatScope } from '../../policy/scope.js';
import { rateLimitView } from '../../server/policy-views.js';
import { rateLimits, setRule } from '../../server/rule-changes.js';
import { type StorageFlags, addStorageFlags, withStorage } from '../context.js';
import { type Io, UsageError } from '../output.js';
import { APPLIES_SOON, actorName, change, changeContext, deleteCommand, numberFlag, ruleFromFlags, rulesWithConfig } from '../rules.js';
import { renderTable } from '../table.js';

interface SetFlags extends StorageFlags {
  scope: string;
  rpm?: string;
  tpm?: string;
  concurrency?: string;
  id?: string;
  name?: string;
  fail?: string;
}

const FLAGS = { scope: '--scope', rpm: '--rpm', tpm: '--tpm', concurrency: '--concurrency', id: '--id', name: '--name', fail: '--fail' };

/** `tollgate limits`: requests per minute, tokens per minute and requests at once, per scope. */
export function limitsCommand(program: Command, io: Io): void {
  const group = program.command('limits').description('Rate limits: requests and tokens per minute, and concurrent requests, per scope');

  addStorageFlags(
    group
      .command('set')
      .description('Create or update a rate limit (the same scope updates the same limit unless --id differs)')
      .requiredOption('--scope <scope>', 'org, user:NAME, team:NAME, project:NAME, key:ID, tag:NAME=VALUE, model:GLOB, provider:NAME')
      .option('--rpm <n>', 'requests per minute')
      .option('--tpm <n>', 'tokens per minute (input estimate plus max output)')
      .option('--concurrency <n>', 'requests in flight at once')
      .option('--id <id>', 'an id of your choice (default: derived from the scope)')
      .option('--name <name>', 'a label for people')
      .option('--fail <mode>', 'when the shared counters are down: open (admit) or closed (refuse)'),
  ).action((flags: SetFlags) =>
    withStorage(flags, async (storage, config) => {
      if (flags.rpm === undefined && flags.tpm === undefined && flags.concurrency === undefined) throw new UsageError('limits set: give at least one of --rpm, --tpm, --concurrency');
      const input = ruleFromFlags(rateLimitInput, { id: flags.id, name: flags.name, scope: flags.scope, rpm: numberFlag(flags.rpm), tpm: numberFlag(flags.tpm), concurrency: numberFlag(flags.concurrency), fail: flags.fail }, FLAGS);
      const done = await change(() => setRule(changeContext(storage, config, actorName(undefined)), rateLimits, toRateLimit(input, 'api', Date.now())));
      io.out(`${done.created ? 'Created' : 'Updated'} rate limit ${done.rule.id} (${formatScope(done.rule.scope)}: ${describe(done.rule)}). ${APPLIES_SOON}\n`);
    }),
  );

  addStorageFlags(group.command('list').description('List rate limits from the config file and those made here').option('--json', 'print JSON')).action((flags: StorageFlags & { json?: boolean }) =>
    withStorage(flags, async (storage, config) => {
      const list = await rulesWithConfig(storage, config.rules.rateLimits, rateLimits);
      if (flags.json) return io.out(JSON.stringify(list.map(rateLimitView), null, 2) + '\n');
      if (list.length === 0) return io.out('No rate limits yet. Create one with `tollgate limits set --scope user:NAME --rpm 60`.\n');
      const n = (v: number | null) => (v === null ? '-' : v.toLocaleString('en-US'));
      io.out(renderTable(['ID', 'SCOPE', 'RPM', 'TPM', 'CONCURRENCY', 'FAIL', 'SOURCE'], list.map((r) => [r.id, formatScope(r.scope), n(r.rpm), n(r.tpm), n(r.concurrency), r.fail, r.source]), [2, 3, 4]));
    }, { read: 'rules' }),
  );

  deleteCommand(group, io, rateLimits);
}

function describe(r: RateLimit): string {
  return [r.rpm === null ? '' : `${r.rpm} rpm`, r.tpm === null ? '' : `${r.tpm} tpm`, r.concurrency === null ? '' : `${r.concurrency} at once`].filter(Boolean).join(', ');
}
