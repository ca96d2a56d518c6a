import type { Storage } from './ports.js';
import { openSqlite } from './sqlite/sqlite-storage.js';
import type { PostgresTimeouts } from './postgres/timeouts.js';

/** A serialisable description of where the ledger lives (a worker thread reopens it from this). */
export type StorageSpec = { kind: 'sqlite'; path: string; insertLockWaitMs?: number } | { kind: 'postgres'; url: string; schema?: string; timeouts?: PostgresTimeouts };

export async function openStorage(spec: StorageSpec): Promise<Storage> {
  if (spec.kind === 'sqlite') return openSqlite(spec.path, { insertLockWaitMs: spec.insertLockWaitMs });
  // Loaded only when used: the default SQLite gateway does not carry the pg client in memory.
  const { openPostgres } = await import('./postgres/postgres-storage.js');
  return openPostgres({ url: spec.url, schema: spec.schema, ...spec.timeouts });
}
