import type { Command } from 'commander';
import { modelPolicyInput, toModelPolicy } from '../../policy/rule-input.js';
import { formatScope } from '../../policy/scope.js';
import { modelPolicyView } from '../../server/policy-views.js';
import { modelPolicies, setRule } from '../../server/rule-changes.js';
import { type StorageFlags, addStorageFlags, withStorage } from '../context.js';
import { type Io, UsageError } from '../output.js';
import { APPLIES_SOON, actorName, change, changeContext, deleteCommand, commaList, ruleFromFlags, rulesWithConfig } from '../rules.js';
import { renderTable } from '../table.js';

interface SetFlags extends StorageFlags {
  scope: string;
  allow?: string;
  deny?: string;
  rewrite?: string;
  keep: boolean;
  id?: string;
  name?: string;
}

const FLAGS = { scope: '--scope', allow: '--allow', deny: '--deny', rewrite: '--rewrite', id: '--id', name: '--name' };

/** `tollgate models`: which models a scope may use, and which it gets instead. */
export function modelsCommand(program: Command, io: Io): void {
  const group = program.command('models').description('Model policies: allowed and denied models, and default-model rewrites, per identity scope');

  addStorageFlags(
    group
      .command('set')
      .description('Create or update a model policy (the same scope updates the same policy unless --id differs)')
      .requiredOption('--scope <scope>', 'org, user:NAME, team:NAME, project:NAME or key:ID')
      .option('--allow <globs>', 'only these models, comma-separated globs (e.g. "claude-*,gpt-5*")')
      .option('--deny <globs>', 'never these models, comma-separated globs (e.g. "*opus*")')
      .option('--rewrite <pairs>', 'serve another model instead: from=to pairs, comma-separated (e.g. "claude-opus-*=claude-sonnet-4-5")')
      .option('--no-keep', 'ignore x-tollgate-model-override: keep (clients cannot opt out of rewrites)')
      .option('--id <id>', 'an id of your choice (default: derived from the scope)')
      .option('--name <name>', 'a label for people (shown in refusals)'),
  ).action((flags: SetFlags) =>
    withStorage(flags, async (storage, config) => {
      const input = ruleFromFlags(
        modelPolicyInput,
        { id: flags.id, name: flags.name, scope: flags.scope, allow: allowList(flags.allow), deny: commaList(flags.deny), rewrite: rewrites(flags.rewrite), allow_keep: flags.keep ? undefined : false },
        FLAGS,
      );
      const done = await change(() => setRule(changeContext(storage, config, actorName(undefined)), modelPolicies, toModelPolicy(input, 'api', Date.now())));
      io.out(`${done.created ? 'Created' : 'Updated'} model policy ${done.rule.id} for ${formatScope(done.rule.scope)}. ${APPLIES_SOON}\n`);
    }),
  );

  addStorageFlags(group.command('list').description('List model policies from the config file and those made here').option('--json', 'print JSON')).action((flags: StorageFlags & { json?: boolean }) =>
    withStorage(flags, async (storage, config) => {
      const list = await rulesWithConfig(storage, config.rules.modelPolicies, modelPolicies);
      if (flags.json) return io.out(JSON.stringify(list.map(modelPolicyView), null, 2) + '\n');
      if (list.length === 0) return io.out('No model policies yet. Create one with `tollgate models set --scope team:NAME --deny "*opus*"`.\n');
      const rows = list.map((p) => [p.id, formatScope(p.scope), p.allow?.join(',') ?? '(any)', p.deny.join(',') || '-', p.rewrites.map((r) => `${r.from}=${r.to}`).join(',') || '-', p.allowKeep ? 'yes' : 'no', p.source]);
      io.out(renderTable(['ID', 'SCOPE', 'ALLOW', 'DENY', 'REWRITE', 'KEEP OK', 'SOURCE'], rows));
    }, { read: 'rules' }),
  );

  deleteCommand(group, io, modelPolicies);
}

/** `--allow` with no glob in it (an empty shell variable) would allow no model at all: refused, rather than locking the scope out. */
function allowList(text: string | undefined): string[] | undefined {
  const list = commaList(text);
  if (list?.length === 0) throw new UsageError('--allow: give at least one model glob, comma-separated (e.g. "claude-*,gpt-5*"); an empty list would allow no model at all (to refuse every model, use --deny "*")');
  return list;
}

function rewrites(text: string | undefined): { from: string; to: string }[] | undefined {
  return commaList(text)?.map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) throw new UsageError(`--rewrite: "${pair}" is not from=to (e.g. claude-opus-*=claude-sonnet-4-5)`);
    return { from: pair.slice(0, eq).trim(), to: pair.slice(eq + 1).trim() };
  });
}
