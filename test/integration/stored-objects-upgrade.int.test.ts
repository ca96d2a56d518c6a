import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import OpenAI, { NotFoundError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createKey } from '../../src/identity/key-service.js';
import { openSqlite } from '../../src/storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../../src/storage/testing/rows.js';
import { REQUEST_COLUMNS, rowValues } from '../../src/storage/schema.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * A ledger that served before auth.stored_objects (schema version 31): its Responses were made by
 * keys whose owners nobody recorded. After the upgrade, the default `team` lets their teams go on.
 */
describe('stored objects made before owners were recorded', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('are their makers and teams after the upgrade, through the SDK, and still refused to other teams', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tollgate-upgrade-')), 'ledger.db');
    const s = openSqlite(path);
    const alice = await createKey(s.keys, { user: 'alice', team: 'platform', project: null });
    const carol = await createKey(s.keys, { user: 'carol', team: 'platform', project: null });
    const bob = await createKey(s.keys, { user: 'bob', team: 'data', project: null });
    await s.close();
    // As version 31 left it: a Response made by alice, its row the only trace of who made it.
    const db = new Database(path);
    db.prepare('DELETE FROM schema_migrations WHERE version > 31').run();
    // What versions 33 to 35 add goes too: the upgrade adds it again.
    db.exec('DROP INDEX stored_objects_parent; ALTER TABLE stored_objects DROP COLUMN parent; DROP INDEX requests_agent; DROP INDEX requests_idless_other');
    const row = sampleRow({ id: 'old-response', api: 'openai.responses', responseId: 'resp_madeBeforeOwners', keyId: alice.id, team: 'platform' });
    db.prepare(`INSERT INTO requests (${REQUEST_COLUMNS.join(', ')}) VALUES (${REQUEST_COLUMNS.map(() => '?').join(', ')})`).run(rowValues(row, (b) => (b ? 1 : 0)));
    db.close();

    h = await startHarness({ storage: () => Promise.resolve(openSqlite(path)) });
    const client = (key: string) => new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    expect(await client(alice.key).responses.retrieve('resp_madeBeforeOwners')).toMatchObject({ id: 'resp_madeBeforeOwners' });
    expect(await client(carol.key).responses.create({ model: 'gpt-5', input: 'more', previous_response_id: 'resp_madeBeforeOwners' })).toMatchObject({ object: 'response' });
    await expect(client(bob.key).responses.retrieve('resp_madeBeforeOwners')).rejects.toBeInstanceOf(NotFoundError);
  });
});
