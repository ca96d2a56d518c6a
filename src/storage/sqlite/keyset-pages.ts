import type { TimeFilter } from '../ports.js';
import { timeTerms } from '../time-window.js';
import type { Db, Statement } from './db.js';

/** Where a page ended: the next one starts after this (ts, id). */
export interface PageKey {
  ts: unknown;
  id: unknown;
}

export interface KeysetScan<R> {
  db: Db;
  select: string;
  /** Constant conditions besides the time window's. */
  terms?: string[];
  filter: TimeFilter;
  size: number;
  read: (s: Statement) => Statement;
  key: (row: R) => PageKey;
}

/**
 * A time window's rows in (ts, id) order, as keyset pages each read whole, the event loop
 * free between them. Not one cursor: better-sqlite3 lets no other statement run on a
 * connection while an iterator is open on it, and the gateway's writer shares it.
 */
export async function* keysetPages<R>(o: KeysetScan<R>): AsyncIterable<R[]> {
  let after: PageKey | undefined;
  for (;;) {
    const q = pageQuery(o.select, o.filter, o.terms ?? [], after, o.size);
    const page = o.read(o.db.prepare(q.sql)).all(q.params) as R[];
    if (page.length > 0) yield page;
    if (page.length < o.size) return;
    after = o.key(page[page.length - 1]!);
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * One page's query. After a page, the last row's time is the lower bound on ts as well as
 * the row value: beside the window's own bound, SQLite starts the index range at the
 * window's start, not at the row value, so every page read the window again from its start
 * (a cache report over 1M rows: 226 s instead of 25).
 */
export function pageQuery(select: string, filter: TimeFilter, terms: readonly string[], after: PageKey | undefined, size: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const where = [...timeTerms(after ? { ...filter, since: Number(after.ts) } : filter, params), ...terms];
  if (after) {
    where.push('(ts, id) > (?, ?)');
    params.push(after.ts, after.id);
  }
  return { sql: `${select}${where.length ? ' WHERE ' + where.join(' AND ') : ''} ORDER BY ts, id LIMIT ${size}`, params };
}
