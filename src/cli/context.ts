import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { dbFlagProblem } from '../config/config.js';
import { type Config, loadConfig } from '../config/index.js';
import { parseReportWindow, parseTimeWindow } from '../reports/time.js';
import { type StorageSpec, openStorage as open } from '../storage/open.js';
import type { Storage } from '../storage/ports.js';
import { CommandError, UsageError, parsedInput } from './output.js';

/** Every command that touches storage takes these, as `serve` does. */
export interface StorageFlags {
  config?: string;
  db?: string;
}

export function addStorageFlags(cmd: Command): Command {
  return cmd.option('--config <file>', 'YAML config file (default: none, the built-in defaults)').option('--db <path|url>', 'SQLite file or postgres:// URL (default ./.tollgate/tollgate.db)');
}

export function loadCliConfig(flags: StorageFlags & { host?: string; port?: string }): Config {
  let port: number | undefined;
  if (flags.port !== undefined) {
    // Digits only: Number() reads "" as 0 (a random port) and "0x2000" as 8192.
    port = /^\d{1,5}$/.test(flags.port) ? Number(flags.port) : NaN;
    if (!(port >= 0 && port <= 65535)) throw new UsageError(`--port must be a number from 0 to 65535, not "${flags.port}"`);
  }
  // An empty host makes Node listen on every interface: `--host "$HOST"` with HOST unset must not expose the gateway.
  if (flags.host !== undefined && flags.host.trim() === '') throw new UsageError('--host must not be empty (127.0.0.1 for this machine only, 0.0.0.0 for every interface)');
  // As --host: `--config "$CONFIG"` with CONFIG unset must not run on the defaults, its budgets and providers silently gone.
  if (flags.config !== undefined && flags.config.trim() === '') throw new UsageError('--config must not be empty (leave it out for the built-in defaults)');
  const dbProblem = flags.db === undefined ? undefined : dbFlagProblem(flags.db);
  if (dbProblem) throw new UsageError(`--db ${dbProblem}`);
  return loadConfig({ file: flags.config, env: process.env, overrides: { host: flags.host, port, db: flags.db } });
}

export function storageSpec(config: Config): StorageSpec {
  return config.storage.kind === 'sqlite' ? { kind: 'sqlite', path: config.storage.path } : { kind: 'postgres', url: config.storage.url, timeouts: config.storage.timeouts };
}

/** `insertLockWaitMs`: see SqliteLedgerOptions (the gateway's own ledger inserts). */
export function openStorage(config: Config, o: { insertLockWaitMs?: number } = {}): Promise<Storage> {
  const spec = storageSpec(config);
  return open(spec.kind === 'sqlite' ? { ...spec, ...o } : spec);
}

/**
 * Loads config, opens storage, runs `fn`, and always closes storage. `read`: the command only
 * reads, or acts on what the ledger holds (asks for an increase, decides one), so a SQLite file
 * that does not exist is a mistyped path or a ledger not started yet, said as such (with
 * `noLedger` as the advice, when given), rather than a new empty ledger made and reported on.
 * `read: 'rules'`: a list of rules, which with a config file and no ledger yet lists the file's
 * rules alone, making nothing.
 */
export async function withStorage<T>(flags: StorageFlags, fn: (storage: Storage, config: Config) => Promise<T>, o: { read?: boolean | 'rules'; noLedger?: string } = {}): Promise<T> {
  const config = loadCliConfig(flags);
  let missing = false;
  if (o.read && config.storage.kind === 'sqlite' && config.storage.path !== ':memory:' && !existsSync(config.storage.path)) {
    missing = true;
    const advice = o.noLedger ?? 'start the gateway (tollgate serve) or import usage (tollgate import) first, or point --db or --config at your ledger';
    if (o.read !== 'rules' || flags.config === undefined) throw new CommandError(`no ledger at "${config.storage.path}" yet: ${advice}`);
  }
  const storage = missing ? await open({ kind: 'sqlite', path: ':memory:' }) : await openStorage(config);
  try {
    return await fn(storage, config);
  } finally {
    await storage.close();
  }
}

export function parseWindow(flags: { since?: string; until?: string }): { since?: number; until?: number } {
  return parsedInput(() => parseTimeWindow(flags.since, flags.until));
}

/** The window of a report whose `--until` defaults to now. */
export function parseWindowToNow(flags: { since?: string; until?: string }): { since?: number; until: number } {
  return parsedInput(() => parseReportWindow(flags.since, flags.until));
}

export { describeStartupError } from './startup-error.js';
