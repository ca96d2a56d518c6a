import type { TypeMap } from './ddl.js';

/**
 * Version 19: the write that brought each row (see TypeMap.arrival), so that live anomaly
 * detection finds rows written after the windows they belong to were evaluated (an import, a
 * long stream, a spool replayed after a crash; docs/anomalies.md). Rows from before stay null
 * and outside the index. The default is set after the column is added: a volatile default in
 * ADD COLUMN would make Postgres rewrite the whole table.
 */
export function schemaV19(t: TypeMap): string[] {
  return [
    `ALTER TABLE requests ADD COLUMN arrival ${t.arrival}`,
    // Without a default (SQLite, whose writes take turns), each write transaction counts itself in a
    // table of one row: a counter kept apart from the rows is never taken back by a deletion.
    ...(t.arrivalDefault
      ? [`ALTER TABLE requests ALTER COLUMN arrival SET DEFAULT ${t.arrivalDefault}`]
      : [`CREATE TABLE ledger_arrival (n ${t.bigint} NOT NULL)`, 'INSERT INTO ledger_arrival (n) VALUES (0)']),
    'CREATE INDEX requests_arrival ON requests (arrival, ts) WHERE arrival IS NOT NULL',
  ];
}

/**
 * Version 20: where the live anomaly scheduler stands in the ledger's arrivals, saved after each
 * pass, so that a gateway started again looks at the rows written while none ran (an import, a
 * restart) and runs the late evaluations it still owed (docs/anomalies.md). One row, shared by
 * the replicas.
 */
export function schemaV20(t: TypeMap): string[] {
  return [`CREATE TABLE anomaly_cursor (name ${t.text} PRIMARY KEY, cursor ${t.text} NOT NULL, owed ${t.text} NOT NULL, saved_at ${t.bigint} NOT NULL)`];
}

/**
 * Version 23 (SQLite only): the rows a write brought are found by their rowids, which each write
 * transaction takes in turn from `ledger_arrival` (now the highest rowid handed out), instead of by
 * the index of the arrival column: an index entry less for every row written, about 0.5-0.7 µs of
 * CPU a gateway row (docs/benchmarks.md). New rows leave `arrival` null. A saved scheduler cursor, an arrival
 * number until now, becomes the rowid below the first row it had not seen (every row when it had
 * seen them all); one ahead of the writes (a database restored elsewhere) is dropped, as
 * `watchCursor` would have ignored it.
 */
export function schemaV23(t: TypeMap): string[] {
  if (t.arrivalDefault) return [];
  return [
    'DELETE FROM anomaly_cursor WHERE CAST(cursor AS INTEGER) > (SELECT n FROM ledger_arrival)',
    'UPDATE anomaly_cursor SET cursor = CAST(COALESCE((SELECT MIN(rowid) - 1 FROM requests WHERE arrival > CAST(anomaly_cursor.cursor AS INTEGER)), (SELECT COALESCE(MAX(rowid), 0) FROM requests)) AS TEXT)',
    'UPDATE ledger_arrival SET n = (SELECT COALESCE(MAX(rowid), 0) FROM requests)',
    'DROP INDEX requests_arrival',
  ];
}

/**
 * Version 27: each anomaly's open episode (src/anomalies/episodes.ts) shared by the replicas, so that
 * two of them that first find one at the same time on either side of the hour (each keying it by its
 * own hour) send one alert: storage decides in one statement which episode a detection continues.
 */
export function schemaV27(t: TypeMap): string[] {
  return [`CREATE TABLE alert_episodes (who ${t.text} PRIMARY KEY, key ${t.text} NOT NULL, start_ts ${t.bigint} NOT NULL, end_ts ${t.bigint} NOT NULL)${t.keyedTableSuffix}`];
}
