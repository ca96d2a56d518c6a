import { afterAll, afterEach, expect } from 'vitest';
import { type CreatedKey, createKey } from '../../src/identity/key-service.js';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import type { Storage } from '../../src/storage/ports.js';
import { TEST_PG_URL, dropSchemas } from '../../src/storage/testing/postgres.js';
import { type Harness, type HarnessOptions, startHarness } from './harness.js';

/**
 * A harness's storage on each engine, for `describe.each`: its own SQLite file (undefined), or a
 * Postgres schema of its own per harness, the schemas dropped after the file's tests.
 */
export function harnessEngines(name: string): (readonly ['SQLite' | 'Postgres', (() => Promise<Storage>) | undefined])[] {
  const schemas: string[] = [];
  afterAll(() => dropSchemas(schemas));
  const postgres = () => {
    const schema = `tg_${name}_${process.pid}_${schemas.length}`;
    schemas.push(schema);
    return openPostgres({ url: TEST_PG_URL, schema, maxConnections: 4 });
  };
  return [
    ['SQLite', undefined],
    ['Postgres', postgres],
  ];
}

/** Two keys beside the harness's own (alice, team platform): carol of her team, bob of another. */
export async function teamKeys(h: Harness): Promise<{ carol: CreatedKey; bob: CreatedKey }> {
  const carol = await createKey(h.tollgate.storage.keys, { user: 'carol', team: 'platform', project: null });
  const bob = await createKey(h.tollgate.storage.keys, { user: 'bob', team: 'data', project: null });
  return { carol, bob };
}

/**
 * The `start` of a file of team tests: a harness on `storage` (closed after each test) and carol's
 * and bob's keys beside its own (teamKeys), handed to `take`, which sets the file's `h`, `carol` and `bob`.
 */
export function teamStart(storage: (() => Promise<Storage>) | undefined, take: (t: { h: Harness; carol: CreatedKey; bob: CreatedKey }) => void): (o?: HarnessOptions) => Promise<void> {
  let current: Harness | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async (o = {}) => {
    current = await startHarness({ storage, ...o });
    take({ h: current, ...(await teamKeys(current)) });
  };
}

/** The error `ask` is refused with: checked to be the SDK's `NotFound` error and to have sent nothing upstream. */
export async function refusedUnsent<E extends Error>(h: Harness, ask: () => Promise<unknown>, NotFound: new (...args: never[]) => E): Promise<E> {
  const asked = h.fake.requests.length;
  const err = await ask().then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(NotFound);
  expect(h.fake.requests.length).toBe(asked);
  return err as E;
}
