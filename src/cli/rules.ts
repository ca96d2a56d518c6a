import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { z } from 'zod';
import type { Config } from '../config/index.js';
import { parseRule } from '../policy/rule-input.js';
import type { Budget, ModelPolicy, RateLimit } from '../policy/rules.js';
import { type ChangeContext, Conflict, NotFound, type RuleTable, deleteRule } from '../server/rule-changes.js';
import type { Storage } from '../storage/ports.js';
import { type StorageFlags, addStorageFlags, withStorage } from './context.js';
import { CommandError, type Io, UsageError } from './output.js';

/**
 * Parses a rule built from flags with the same schema as the config file and the admin
 * API. `flagFor` maps a field (`limit_usd`) to the flag that set it (`--limit`), so the
 * message names what the user typed.
 */
export function ruleFromFlags<T extends z.ZodType>(schema: T, input: Record<string, unknown>, flagFor: Record<string, string>): z.output<T> {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  try {
    return parseRule(schema, defined);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    const colon = err.message.indexOf(': ');
    const field = err.message.slice(0, colon).replace(/\.\d+$/, '');
    const message = err.message.slice(colon + 2);
    throw new UsageError(flagFor[field] ? `${flagFor[field]}: ${message}` : field === 'rule' ? message : err.message);
  }
}

/** A comma-separated flag value as a list (empty items dropped). */
export function commaList(text: string | undefined): string[] | undefined {
  return text === undefined ? undefined : text.split(',').map((s) => s.trim()).filter(Boolean);
}

/** A whole-number flag; anything else is left for the schema to reject by name. */
export function numberFlag(text: string | undefined): number | undefined {
  return text === undefined ? undefined : text.trim() === '' ? Number.NaN : Number(text);
}

/** Who the audit log names for a change made here: `--as`, else the OS user. */
export function actorName(as: string | undefined): string {
  if (as?.trim()) return as.trim().slice(0, 200);
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'cli';
  }
}

export function changeContext(storage: Storage, config: Config, actor: string): ChangeContext {
  const ids = new Set([...config.rules.budgets, ...config.rules.rateLimits, ...config.rules.modelPolicies].map((r) => r.id));
  return { store: storage.policy, isConfigRule: (id) => ids.has(id), configFile: config.source, actor, now: Date.now };
}

/** Runs a change; a conflict or a missing rule is a one-line error, not a stack trace. */
export async function change<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Conflict || err instanceof NotFound) throw new CommandError(err.message);
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
}

/** The config's rules of a kind, then the stored ones (a config rule wins an id, as in the gateway). */
export async function rulesWithConfig<T extends Budget | RateLimit | ModelPolicy>(storage: Storage, fromConfig: T[], t: RuleTable<T>): Promise<T[]> {
  const ids = new Set(fromConfig.map((r) => r.id));
  return [...fromConfig, ...(await t.list(storage.policy)).filter((r) => !ids.has(r.id))];
}

export const APPLIES_SOON = 'Running gateways apply it within 2 seconds.';

/**
 * `<group> delete <id>`. A rule made with the CLI or the admin API is in the ledger, so a ledger
 * that is not there is a mistyped path or the wrong directory: said so, not made empty.
 */
export function deleteCommand<T extends Budget | RateLimit | ModelPolicy>(group: Command, io: Io, t: RuleTable<T>, after = ''): void {
  addStorageFlags(group.command('delete').description(`Delete a ${t.noun} made with the CLI or admin API`).argument('<id>', `the ${t.noun} id`)).action((id: string, flags: StorageFlags) =>
    withStorage(
      flags,
      async (storage, config) => {
        await change(() => deleteRule(changeContext(storage, config, actorName(undefined)), t, id));
        io.out(`Deleted ${t.noun} ${id}. ${after}${APPLIES_SOON}\n`);
      },
      { read: true },
    ),
  );
}
