import type { LedgerRow } from '../core/ledger-row.js';
import type { LedgerStore } from '../storage/ports.js';

/** What a log import's write did: rows written per source, and rows deleted from storage. */
export interface Written {
  written: Record<string, number>;
  /** Rows storage held and deleted: a removal of a row it never had (replaced within the run) is none. */
  removed: number;
}

/** What the write needs of the ledger. */
export type WriteLedger = Pick<LedgerStore, 'insert' | 'insertCharged' | 'upsert' | 'get' | 'firstTs'>;

/**
 * New rows go through the ledger's plain insert (idempotent on id); rows that may replace
 * an earlier version (and with --full, all rows) through its upsert, removals with the first.
 * Rows written per source are fewer than given when already there, or another source's.
 */
export async function writeChanges(ledger: WriteLedger, rows: { insert: LedgerRow[]; upsert: LedgerRow[] }, remove: readonly string[], o: { charge: boolean; batch: number }): Promise<Written> {
  // Asked before the write: a row replaced within this run (a sidechain copy, then its parent) was
  // never stored, and its removal, sent in case an earlier run stored it, deletes nothing.
  const removed = await storedCount(ledger, remove);
  const upserted = await writeBySource(rows.upsert, o.batch, remove, (list, removing) => ledger.upsert(list, removing, { charge: o.charge }));
  const inserted = await writeBySource(rows.insert, o.batch, [], (list) => (o.charge ? ledger.insertCharged(list) : ledger.insert(list)));
  for (const [source, n] of Object.entries(inserted)) upserted[source] = (upserted[source] ?? 0) + n;
  return { written: upserted, removed };
}

/** How many of `ids` the ledger holds (none when it is empty: a first import). */
async function storedCount(ledger: WriteLedger, ids: readonly string[]): Promise<number> {
  if (ids.length === 0 || (await ledger.firstTs()) === undefined) return 0;
  let n = 0;
  for (const id of new Set(ids)) if ((await ledger.get(id)) !== undefined) n++;
  return n;
}

/**
 * Writes rows one source at a time, `batch` at a time, the removals with the first write (alone
 * when there are no rows), so that the summary can say what each source wrote.
 */
export async function writeBySource(rows: readonly LedgerRow[], batch: number, remove: readonly string[], write: (rows: LedgerRow[], remove: string[]) => Promise<number>): Promise<Record<string, number>> {
  const written: Record<string, number> = {};
  let removing = [...remove];
  if (rows.length === 0 && remove.length > 0) await write([], removing);
  for (const [source, list] of bySource(rows)) {
    for (let i = 0; i < list.length; i += batch) {
      written[source] = (written[source] ?? 0) + (await write(list.slice(i, i + batch), removing));
      removing = [];
    }
  }
  return written;
}

/** Rows by source, in the order met: written one source at a time, so that the summary can say what each wrote. */
function bySource(rows: readonly LedgerRow[]): Map<string, LedgerRow[]> {
  const out = new Map<string, LedgerRow[]>();
  for (const r of rows) {
    const list = out.get(r.source);
    if (list) list.push(r);
    else out.set(r.source, [r]);
  }
  return out;
}
