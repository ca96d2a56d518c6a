import { afterAll, describe, expect, it } from 'vitest';
import { createKey } from '../../identity/key-service.js';
import { openPostgres } from '../../storage/postgres/postgres-storage.js';
import type { Storage } from '../../storage/ports.js';
import { openSqlite } from '../../storage/sqlite/sqlite-storage.js';
import { TEST_PG_URL, dropSchemas } from '../../storage/testing/postgres.js';
import { NotRecorded, OwnedAlready, assignObjects, forgetObjects, showObjects } from './assignments.js';

const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));
const engines: [string, () => Promise<Storage>][] = [
  ['SQLite', () => Promise.resolve(openSqlite(':memory:'))],
  [
    'Postgres',
    () => {
      const schema = `tg_assignments_${process.pid}_${schemas.length}`;
      schemas.push(schema);
      return openPostgres({ url: TEST_PG_URL, schema, maxConnections: 2 });
    },
  ],
];

describe.each(engines)('owners an admin gives and forgets (%s)', (_, open) => {
  const at = Date.UTC(2026, 11, 7);
  const context = (storage: Storage, now = at) => ({ storage, actor: 'ops', now, providers: [{ name: 'claude', dialect: 'anthropic' as const }], say: (f: string, v?: string) => (v === undefined ? `--${f}` : `--${f} ${v}`) });
  const audit = async (storage: Storage) => (await storage.policy.listAudit({})).map((e) => [e.action, e.subject, e.details]);

  it('gives objects to a key with its team, or to a team alone, all or none of them, each change audited', async () => {
    const storage = await open();
    try {
      const alice = await createKey(storage.keys, { user: 'alice', team: 'platform', project: null });
      await storage.objects.add([{ id: 'file-made', api: 'openai.files', keyId: 'key_other', team: 'data', createdAt: at - 1 }]);
      // One of the two has another owner: refused, and the other is not written either.
      await expect(assignObjects(context(storage), { ids: ['vs_1', 'file-made'], key: alice.id })).rejects.toThrow(OwnedAlready);
      expect(await storage.objects.records(['vs_1'])).toEqual([]);
      expect(await audit(storage)).toEqual([]);

      expect(await assignObjects(context(storage), { ids: ['vs_1', 'vs_1', 'cntr_1'], key: alice.id })).toEqual([
        { id: 'vs_1', kind: 'vector store', dialect: 'openai', api: 'openai.vector_stores', owner: { key_id: alice.id, team: 'platform' }, recorded_at: new Date(at).toISOString(), previous: null, changed: true },
        expect.objectContaining({ id: 'cntr_1', kind: 'container', changed: true }),
      ]);
      // A provider of the config says whose a skill is.
      expect(await assignObjects(context(storage), { ids: ['skill_01a'], key: alice.id, provider: 'claude' })).toEqual([expect.objectContaining({ id: 'skill_01a', dialect: 'anthropic', api: 'anthropic.skills', changed: true })]);
      expect(await storage.objects.owners(['vs_1'])).toEqual(new Map([['vs_1', { keyId: alice.id, team: 'platform' }]]));
      // The same owner again: nothing written, nothing audited.
      expect((await assignObjects(context(storage, at + 5), { ids: ['vs_1'], key: alice.id }))[0]).toMatchObject({ changed: false, recorded_at: new Date(at).toISOString() });

      const forced = await assignObjects(context(storage, at + 10), { ids: ['file-made', 'vs_1'], team: 'web', force: true });
      expect(forced.map((v) => [v.id, v.owner, v.previous])).toEqual([
        ['file-made', { key_id: null, team: 'web' }, { key_id: 'key_other', team: 'data' }],
        ['vs_1', { key_id: null, team: 'web' }, { key_id: alice.id, team: 'platform' }],
      ]);
      expect(await audit(storage)).toEqual(
        expect.arrayContaining([
          ['object.assign', 'object:file-made', { api: 'openai.files', owner: { key_id: null, team: 'web' }, previous: { key_id: 'key_other', team: 'data' } }],
          ['object.assign', 'object:skill_01a', { api: 'anthropic.skills', owner: { key_id: alice.id, team: 'platform' }, previous: null }],
        ]),
      );
      expect(await audit(storage)).toHaveLength(5);
      // A skill's kind is told from the API it was recorded with.
      expect(await showObjects(storage, ['skill_01a', 'vs_none'])).toEqual([
        expect.objectContaining({ id: 'skill_01a', kind: 'skill', dialect: 'anthropic', owner: { key_id: alice.id, team: 'platform' } }),
        { id: 'vs_none', kind: 'vector store', dialect: 'openai', api: 'openai.vector_stores', owner: null, recorded_at: null },
      ]);
    } finally {
      await storage.close();
    }
  });

  it('gives a Gemini interaction named as its resource (interactions/{id}), recorded by its id alone as the gateway records one it sees made', async () => {
    const storage = await open();
    try {
      const alice = await createKey(storage.keys, { user: 'alice', team: 'platform', project: null });
      expect(await showObjects(storage, ['interactions/v1_abc'])).toEqual([{ id: 'v1_abc', kind: 'interaction', dialect: 'gemini', api: 'gemini.interactions', owner: null, recorded_at: null }]);
      expect(await assignObjects(context(storage), { ids: ['interactions/v1_abc'], key: alice.id, provider: 'gemini' })).toEqual([
        { id: 'v1_abc', kind: 'interaction', dialect: 'gemini', api: 'gemini.interactions', owner: { key_id: alice.id, team: 'platform' }, recorded_at: new Date(at).toISOString(), previous: null, changed: true },
      ]);
      expect(await storage.objects.owners(['v1_abc'])).toEqual(new Map([['v1_abc', { keyId: alice.id, team: 'platform' }]]));
      // Shown and forgotten by either name: the id alone, recorded with its API, is known as an interaction's.
      expect(await showObjects(storage, ['v1_abc'])).toEqual([expect.objectContaining({ id: 'v1_abc', kind: 'interaction', owner: { key_id: alice.id, team: 'platform' } })]);
      expect(await forgetObjects(context(storage), ['interactions/v1_abc'])).toEqual([expect.objectContaining({ id: 'v1_abc', kind: 'interaction' })]);
      expect(await storage.objects.records(['v1_abc'])).toEqual([]);
    } finally {
      await storage.close();
    }
  });

  it('refuses an unknown, revoked or expired key, both a key and a team, neither, and an unknown provider', async () => {
    const storage = await open();
    try {
      const revoked = await createKey(storage.keys, { user: 'gone', team: 'platform', project: null });
      await storage.keys.revoke(revoked.id, at - 1);
      const expired = await createKey(storage.keys, { user: 'old', team: 'platform', project: null, expiresAt: at - 1 }, at - 10);
      const c = context(storage);
      await expect(assignObjects(c, { ids: ['vs_1'], key: 'key_nope' })).rejects.toThrow(new NotRecorded('no key key_nope (--key takes a key\'s id, key_…, as `tollgate keys list` shows it)'));
      await expect(assignObjects(c, { ids: ['vs_1'], key: revoked.id })).rejects.toThrow(`key ${revoked.id} is revoked`);
      await expect(assignObjects(c, { ids: ['vs_1'], key: expired.id })).rejects.toThrow(`key ${expired.id} has expired`);
      await expect(assignObjects(c, { ids: ['vs_1'], key: revoked.id, team: 'x' })).rejects.toThrow('give the objects to a key (--key) or to a team (--team), one of the two');
      await expect(assignObjects(c, { ids: ['vs_1'] })).rejects.toThrow(RangeError);
      await expect(assignObjects(c, { ids: [], team: 'x' })).rejects.toThrow('name at least one object id');
      await expect(assignObjects(c, { ids: ['vs_1'], team: 'x', provider: 'azure' })).rejects.toThrow('--provider "azure" is not a provider of this config (claude) nor a dialect (openai, anthropic, gemini)');
      await expect(assignObjects(c, { ids: ['vs_1'], team: 'x', provider: 'claude' })).rejects.toThrow('"vs_1" is an OpenAI vector store\'s id, not an Anthropic object\'s (--provider claude)');
      expect(await storage.objects.records(['vs_1'])).toEqual([]);
    } finally {
      await storage.close();
    }
  });

  it('forgets recorded owners, the gateway own among them, and none when an id has no owner', async () => {
    const storage = await open();
    try {
      await storage.objects.add([{ id: 'resp_1', api: 'openai.responses', keyId: 'key_a', team: 'platform', createdAt: at }, { id: 'gemini-upload:ab', api: 'gemini.files', keyId: 'key_a', team: null, createdAt: at }]);
      await expect(forgetObjects(context(storage), ['resp_1', 'resp_2'])).rejects.toThrow(new NotRecorded('no owner is recorded for resp_2: nothing was forgotten'));
      expect(await storage.objects.records(['resp_1'])).toHaveLength(1);
      // An id of no known shape the gateway recorded is forgotten all the same.
      const gone = await forgetObjects(context(storage), ['resp_1', 'gemini-upload:ab']);
      expect(gone.map((v) => [v.id, v.kind, v.owner])).toEqual([
        ['resp_1', 'stored Response', { key_id: 'key_a', team: 'platform' }],
        ['gemini-upload:ab', null, { key_id: 'key_a', team: null }],
      ]);
      expect(await storage.objects.records(['resp_1', 'gemini-upload:ab'])).toEqual([]);
      expect(await audit(storage)).toEqual(expect.arrayContaining([['object.forget', 'object:resp_1', { api: 'openai.responses', previous: { key_id: 'key_a', team: 'platform' } }]]));
      await expect(forgetObjects(context(storage), ['has space'])).rejects.toThrow('"has space" is not an object id');
    } finally {
      await storage.close();
    }
  });
});
