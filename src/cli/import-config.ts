import { type Config, dbFlagProblem, storageConfig } from '../config/config.js';
import { UsageError } from './output.js';

/** The settings `tollgate import` reads from the config. */
export type ImportConfig = Pick<Config, 'storage' | 'pricing' | 'import'> & { rules: Pick<Config['rules'], 'budgets'> };

/**
 * The config an import needs. Without --config these are the built-in defaults, so the
 * YAML parser and the schema (a fifth of a first import's start-up) are not even loaded.
 */
export async function importConfig(flags: { config?: string | undefined; db?: string | undefined }): Promise<ImportConfig> {
  if (flags.config !== undefined) return (await import('./context.js')).loadCliConfig(flags);
  const dbProblem = flags.db === undefined ? undefined : dbFlagProblem(flags.db);
  if (dbProblem) throw new UsageError(`--db ${dbProblem}`);
  return { storage: storageConfig(undefined, flags.db), pricing: { discounts: {}, overrides: [], fastMode: [] }, import: { user: undefined, team: undefined }, rules: { budgets: [] } };
}
