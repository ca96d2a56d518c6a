import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { readInputLine } from '../../providers/openai/batches.js';
import type { ObjectOwner } from '../../identity/stored-objects.js';
import { BatchLineObjects, batchLines } from './batch-lines.js';
import { ObjectOwners } from './owners.js';
import { lookupRoute } from '../../providers/index.js';

const alice = { keyId: 'k-alice', team: 'platform' };
const bob = { keyId: 'k-bob', team: 'data' };

function owners(rows: Record<string, ObjectOwner>, mode: 'team' | 'shared' = 'team'): ObjectOwners & { reads: number } {
  const o = new ObjectOwners({
    mode,
    log: silentLogger,
    missWaitMs: 0,
    store: {
      add: () => Promise.resolve(),
      remove: () => Promise.resolve(),
      records: () => Promise.resolve([]),
      owners: (ids) => {
        o.reads++;
        return Promise.resolve(new Map(ids.filter((id) => rows[id] !== undefined).map((id) => [id, rows[id]!])));
      },
    },
  }) as ObjectOwners & { reads: number };
  o.reads = 0;
  return o;
}

const line = (customId: string, url: string, body: unknown) => JSON.stringify({ custom_id: customId, method: 'POST', url, body });

describe('the stored objects the lines of a batch input file name', () => {
  it('refuses another team object named on a line, saying which line, and lets its own through', async () => {
    const objects = owners({ 'file-mine': alice, 'file-theirs': bob, cntr_mine: alice, msg_theirs: bob });
    const check = new BatchLineObjects(objects, alice, 'file-in');
    const lines = [
      line('a', '/v1/chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-mine' } }] }] }),
      line('b', '/v1/responses', { model: 'gpt-5', input: 'hi', tools: [{ type: 'code_interpreter', container: 'cntr_mine' }] }),
      line('c', '/v1/responses', { model: 'gpt-5', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-theirs' }] }] }),
    ];
    lines.forEach((l, i) => check.add(readInputLine(l)!, i + 1));
    const err = await check.check().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'object_not_owned', status: 404 });
    expect((err as Error).message).toContain(`No file with id 'file-theirs' found (line 3 of the batch's input file file-in, custom_id "c")`);
    // One read for all the lines gathered.
    expect(objects.reads).toBe(1);
    const mine = new BatchLineObjects(objects, alice, 'file-in');
    lines.slice(0, 2).forEach((l, i) => mine.add(readInputLine(l)!, i + 1));
    await expect(mine.check()).resolves.toBeUndefined();
    const item = new BatchLineObjects(objects, alice, 'file-in');
    item.add(readInputLine(line('d', '/v1/responses', { model: 'gpt-5', input: [{ type: 'item_reference', id: 'msg_theirs' }] }))!, 7);
    await expect(item.check()).rejects.toMatchObject({ code: 'object_not_owned', message: expect.stringContaining("No item with id 'msg_theirs' found (line 7") });
    // A skill a shell tool's container loads.
    const skill = new BatchLineObjects(objects, alice, 'file-in');
    const shell = line('e', '/v1/responses', { model: 'gpt-5', input: 'go', tools: [{ type: 'shell', environment: { type: 'container_auto', skills: [{ type: 'skill_reference', skill_id: 'skill_theirs' }] } }] });
    expect(skill.mayName(shell)).toBe(true);
    skill.add(readInputLine(shell)!, 2);
    await expect(skill.check()).rejects.toMatchObject({ code: 'object_not_owned', message: expect.stringContaining("No skill with id 'skill_theirs' found (line 2") });
  });

  it('refuses a line whose file search tool searches another team vector store', async () => {
    const objects = owners({ vs_mine: alice, vs_theirs: bob });
    const search = (ids: string[]) => line('s', '/v1/responses', { model: 'gpt-5', input: 'find', tools: [{ type: 'file_search', vector_store_ids: ids }] });
    const check = new BatchLineObjects(objects, alice, 'file-in');
    expect(check.mayName(search(['vs_theirs']))).toBe(true);
    check.add(readInputLine(search(['vs_mine', 'vs_theirs']))!, 2);
    await expect(check.check()).rejects.toMatchObject({ code: 'object_not_owned', message: expect.stringContaining(`No vector store with id 'vs_theirs' found (line 2 of the batch's input file file-in, custom_id "s")`) });
    const mine = new BatchLineObjects(objects, alice, 'file-in');
    mine.add(readInputLine(search(['vs_mine']))!, 1);
    await expect(mine.check()).resolves.toBeUndefined();
  });

  it('refuses a Responses line that continues another team conversation named by its id alone', async () => {
    const objects = owners({ conv_theirs: bob });
    const check = new BatchLineObjects(objects, alice, 'file-in');
    const continued = line('v', '/v1/responses', { model: 'gpt-5', input: 'and then?', conversation: 'conv_theirs' });
    // As the batch's admission reads the file: a line is parsed only when it may name an object.
    if (check.mayName(continued)) check.add(readInputLine(continued)!, 4);
    await expect(check.check()).rejects.toMatchObject({ code: 'object_not_owned', message: expect.stringContaining("No conversation with id 'conv_theirs' found (line 4") });
  });

  it('parses only the lines that may name an object', () => {
    const check = new BatchLineObjects(owners({}), alice, 'file-in');
    expect(check.mayName(line('a', '/v1/chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] }))).toBe(false);
    for (const named of ['{"file_id":"f"}', '{"previous_response_id":"r"}', '{"container":"c"}', '{"input":[{"id":"i"}]}', '{"google":{"cached_content":"c"}}', '{"file\\u005fid":"f"}']) expect(check.mayName(named)).toBe(true);
  });

  it('checks only an OpenAI batch created with a Tollgate key while objects are kept apart', () => {
    const route = (path: string, dialect: 'openai' | 'anthropic' = 'openai') => {
      const found = lookupRoute('POST', path, [dialect]);
      if (found.kind !== 'match') throw new Error(path);
      return found.route;
    };
    const body = { input_file_id: 'file-in', endpoint: '/v1/chat/completions' };
    expect(batchLines(owners({}), { owner: alice }, route('/v1/batches'), body)).toBeInstanceOf(BatchLineObjects);
    expect(batchLines(owners({}, 'shared'), { owner: alice }, route('/v1/batches'), body)).toBeUndefined();
    expect(batchLines(owners({}), {}, route('/v1/batches'), body)).toBeUndefined();
    expect(batchLines(undefined, { owner: alice }, route('/v1/batches'), body)).toBeUndefined();
    expect(batchLines(owners({}), { owner: alice }, route('/v1/messages/batches', 'anthropic'), { requests: [] })).toBeUndefined();
  });
});
