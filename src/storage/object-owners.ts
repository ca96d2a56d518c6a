import type { ObjectOwner } from '../identity/stored-objects.js';
import type { TypeMap } from './ddl.js';
import type { PolicySql } from './policy-store.js';
import { scalarText } from './schema.js';
import { GATEWAY_SOURCE } from './cross-source.js';
import { FINGERPRINT_PREFIX } from '../core/ids.js';

/** An object a provider stores, made through the gateway with Tollgate's key for the provider. */
export interface OwnedObject extends ObjectOwner {
  /** The provider's id: `file-…`, `batch_…`, `resp_…`, `msgbatch_…`, `cachedContents/…`. */
  id: string;
  /** The API of the request that made it (`openai.files`), or of the answer that named it (a batch's output file: `openai.batches`). */
  api: string;
  createdAt: number;
  /**
   * The provider has just made it, under a name its maker chose (a Gemini file): an owner recorded
   * for that id is of an object gone since (expired), and is replaced rather than kept.
   */
  replaces?: boolean;
  /** The object it is part of (a container's file: its container): forgotten when that one is. */
  parent?: string;
}

/** An owner as storage records it: with the object it is part of, if any. */
export type RecordedOwner = ObjectOwner & { parent?: string };

/** Which key made each stored object (auth.stored_objects); the same on every adapter. */
export interface ObjectOwnerStore {
  /** Records owners; an id already recorded keeps its first owner, unless the new one `replaces` it. */
  add(objects: readonly OwnedObject[]): Promise<void>;
  /** The owners of those of `ids` that are recorded. */
  owners(ids: readonly string[]): Promise<Map<string, RecordedOwner>>;
  /** The rows of those of `ids` that are recorded, with their API and time (`tollgate objects show`), in no order. */
  records(ids: readonly string[]): Promise<OwnedObject[]>;
  /**
   * Forgets the owners of objects the provider has deleted, and of their parts (OwnedObject.parent);
   * with `before` (ms since the epoch), only those recorded at or before it, and the parts of those.
   */
  remove(ids: readonly string[], before?: number): Promise<void>;
}

/**
 * Version 31: who made each stored object, by the provider's id. Its own table, not the ledger's
 * `response_id`, which has no index (keeping one costs every insert, docs/benchmarks.md): only the
 * requests that make an object write here, and a request about one reads one row by its key.
 */
export function schemaV31(t: TypeMap): string[] {
  return [`CREATE TABLE stored_objects (id ${t.text} PRIMARY KEY, api ${t.text} NOT NULL, key_id ${t.text}, team ${t.text}, created_at ${t.bigint} NOT NULL)${t.keyedTableSuffix}`];
}

/** The APIs whose successful answer made the object its row's `response_id` names, as of version 32. Frozen with the migration. */
const MAKERS_V32 = ['openai.responses', 'openai.files', 'openai.batches', 'anthropic.batches', 'anthropic.files', 'gemini.caches'];

/**
 * Version 32: the owners of the objects made through the gateway before version 31 recorded them, from
 * the ledger: each successful row of an API that makes one gives its `response_id` to the row's key,
 * with that key's own team (`api_keys.team`; the row's `team` may be one a header named). The earliest
 * row wins; an owner recorded already stays. Rows of a caller's own provider key (its fingerprint) and
 * imported rows make no owner. One pass over the ledger, once, at the upgrade.
 */
export function schemaV32(): string[] {
  const makers = MAKERS_V32.map((a) => `'${a}'`).join(', ');
  return [
    `INSERT INTO stored_objects (id, api, key_id, team, created_at) ` +
      `SELECT r.response_id, r.api, r.key_id, k.team, r.ts FROM requests r LEFT JOIN api_keys k ON k.id = r.key_id ` +
      `WHERE r.response_id IS NOT NULL AND r.response_id <> '' AND r.api IN (${makers}) AND r.status >= 200 AND r.status < 300 AND r.source = '${GATEWAY_SOURCE}' ` +
      `AND (r.key_id IS NULL OR substr(r.key_id, 1, ${FINGERPRINT_PREFIX.length}) <> '${FINGERPRINT_PREFIX}') ` +
      `ORDER BY r.ts, r.id ON CONFLICT (id) DO NOTHING`,
  ];
}

/**
 * Version 33: the object each is part of (a container's file: its container), so that deleting a
 * container forgets its files' owners too. Indexed only where there is one: most objects are no part.
 */
export function schemaV33(t: TypeMap): string[] {
  return [`ALTER TABLE stored_objects ADD COLUMN parent ${t.text}`, 'CREATE INDEX stored_objects_parent ON stored_objects (parent) WHERE parent IS NOT NULL'];
}

/** Ids per statement: well under SQLite's and Postgres's limits on parameters. */
const CHUNK = 100;

export function sqlObjectOwners(db: PolicySql): ObjectOwnerStore {
  const run = (sql: string, params: unknown[]) => {
    let i = 0;
    return db.run(sql.replace(/\?/g, () => db.param(++i)), params);
  };
  return {
    async add(objects) {
      for (const replacing of [false, true]) {
        const some = objects.filter((o) => (o.replaces === true) === replacing);
        const conflict = replacing ? 'DO UPDATE SET api = excluded.api, key_id = excluded.key_id, team = excluded.team, created_at = excluded.created_at, parent = excluded.parent' : 'DO NOTHING';
        for (let i = 0; i < some.length; i += CHUNK) {
          const part = some.slice(i, i + CHUNK);
          const values = part.map(() => '(?, ?, ?, ?, ?, ?)').join(', ');
          await run(`INSERT INTO stored_objects (id, api, key_id, team, created_at, parent) VALUES ${values} ON CONFLICT (id) ${conflict}`, part.flatMap((o) => [o.id, o.api, o.keyId, o.team, o.createdAt, o.parent ?? null]));
        }
      }
    },
    async owners(ids) {
      const out = new Map<string, RecordedOwner>();
      for (let i = 0; i < ids.length; i += CHUNK) {
        const part = ids.slice(i, i + CHUNK);
        const { rows } = await run(`SELECT id, key_id, team, parent FROM stored_objects WHERE id IN (${part.map(() => '?').join(', ')})`, part);
        for (const r of rows) {
          const o: RecordedOwner = { keyId: r.key_id === null ? null : scalarText(r.key_id), team: r.team === null ? null : scalarText(r.team) };
          if (r.parent !== null && r.parent !== undefined) o.parent = scalarText(r.parent);
          out.set(scalarText(r.id), o);
        }
      }
      return out;
    },
    async records(ids) {
      const out: OwnedObject[] = [];
      for (let i = 0; i < ids.length; i += CHUNK) {
        const part = ids.slice(i, i + CHUNK);
        const { rows } = await run(`SELECT id, api, key_id, team, created_at, parent FROM stored_objects WHERE id IN (${part.map(() => '?').join(', ')})`, part);
        for (const r of rows) {
          const o: OwnedObject = { id: scalarText(r.id), api: scalarText(r.api), keyId: r.key_id === null ? null : scalarText(r.key_id), team: r.team === null ? null : scalarText(r.team), createdAt: Number(r.created_at) };
          if (r.parent !== null && r.parent !== undefined) o.parent = scalarText(r.parent);
          out.push(o);
        }
      }
      return out;
    },
    async remove(ids, before) {
      for (let i = 0; i < ids.length; i += CHUNK) {
        const part = ids.slice(i, i + CHUNK);
        const older = before === undefined ? '' : ' AND created_at <= ?';
        const params = before === undefined ? part : [...part, before];
        const them = `id IN (${part.map(() => '?').join(', ')})${older}`;
        // The parts first: a removal cut short between the two is made again whole.
        await run(before === undefined ? `DELETE FROM stored_objects WHERE parent IN (${part.map(() => '?').join(', ')})` : `DELETE FROM stored_objects WHERE parent IN (SELECT id FROM stored_objects WHERE ${them})`, params);
        await run(`DELETE FROM stored_objects WHERE ${them}`, params);
      }
    },
  };
}
