import type { Storage } from './ports.js';
import { openPostgres } from './postgres/postgres-storage.js';
import { openSqlite } from './sqlite/sqlite-storage.js';

/** A serialisable description of where the ledger lives (a worker thread reopens it from this). */
export type StorageSpec = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema?: string };

export async function openStorage(spec: StorageSpec): Promise<Storage> {
  return spec.kind === 'sqlite' ? openSqlite(spec.path) : openPostgres({ url: spec.url, schema: spec.schema });
}
