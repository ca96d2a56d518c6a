import { type Config, storageConfig } from '../config/config.js';

/** The settings `tollgate import` reads from the config. */
export type ImportConfig = Pick<Config, 'storage' | 'pricing' | 'import'>;

/**
 * The config an import needs. Without --config these are the built-in defaults, so the
 * YAML parser and the schema (a fifth of a first import's start-up) are not even loaded.
 */
export async function importConfig(flags: { config?: string | undefined; db?: string | undefined }): Promise<ImportConfig> {
  if (flags.config) return (await import('./context.js')).loadCliConfig(flags);
  return { storage: storageConfig(undefined, flags.db), pricing: { discounts: {}, overrides: [], fastMode: [] }, import: { user: undefined, team: undefined } };
}
