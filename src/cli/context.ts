import type { Command } from 'commander';
import { type Config, loadConfig } from '../config/index.js';
import { parseTime } from '../reports/time.js';
import { type StorageSpec, openStorage as open } from '../storage/open.js';
import type { Storage } from '../storage/ports.js';
import { UsageError } from './output.js';

/** Every command that touches storage takes these, as `serve` does. */
export interface StorageFlags {
  config?: string;
  db?: string;
}

export function addStorageFlags(cmd: Command): Command {
  return cmd.option('--config <file>', 'YAML config file (default: none, the built-in defaults)').option('--db <path>', 'SQLite file (default ./.tollgate/tollgate.db)');
}

export function loadCliConfig(flags: StorageFlags & { host?: string; port?: string }): Config {
  let port: number | undefined;
  if (flags.port !== undefined) {
    port = Number(flags.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, not "${flags.port}"`);
  }
  return loadConfig({ file: flags.config, env: process.env, overrides: { host: flags.host, port, db: flags.db } });
}

export function storageSpec(config: Config): StorageSpec {
  return config.storage.kind === 'sqlite' ? { kind: 'sqlite', path: config.storage.path } : { kind: 'postgres', url: config.storage.url };
}

export function openStorage(config: Config): Promise<Storage> {
  return open(storageSpec(config));
}

/** Loads config, opens storage, runs `fn`, and always closes storage. */
export async function withStorage<T>(flags: StorageFlags, fn: (storage: Storage, config: Config) => Promise<T>): Promise<T> {
  const config = loadCliConfig(flags);
  const storage = await openStorage(config);
  try {
    return await fn(storage, config);
  } finally {
    await storage.close();
  }
}

export function parseWindow(flags: { since?: string; until?: string }): { since?: number; until?: number } {
  try {
    return { since: flags.since ? parseTime(flags.since) : undefined, until: flags.until ? parseTime(flags.until) : undefined };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export { describeStartupError } from './startup-error.js';
