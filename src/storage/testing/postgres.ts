import pg from 'pg';

/** The machine's Postgres (CI starts it): 127.0.0.1:5432, trust auth, database `test`. */
export const TEST_PG_URL = process.env.TOLLGATE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Drops test schemas (each test file uses its own, so that files can run at once). */
export async function dropSchemas(schemas: readonly string[]): Promise<void> {
  const c = new pg.Client({ connectionString: TEST_PG_URL });
  await c.connect();
  try {
    for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  } finally {
    await c.end();
  }
}
