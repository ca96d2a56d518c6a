import Anthropic, { NotFoundError as AnthropicNotFound, toFile as anthropicFile } from '@anthropic-ai/sdk';
import OpenAI, { NotFoundError, toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import type { CreatedKey } from '../../src/identity/key-service.js';
import type { Storage } from '../../src/storage/ports.js';
import { type Harness, eventually } from '../support/harness.js';
import { harnessEngines, refusedUnsent as refused, teamStart } from '../support/team-storage.js';

const ZIP = Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.from('---\nname: report\ndescription: Writes the weekly report.\n---\n'.repeat(50))]);

/**
 * OpenAI's and Anthropic's Skills APIs through the official SDKs: passed through (uploads streamed,
 * contents byte for byte), a free row each, and kept to the team of the key that made the skill
 * (auth.stored_objects: team): alice (team platform) makes, carol (platform) shares, bob (team
 * data) is told it does not exist and does not see it listed, with nothing of his sent upstream.
 */
describe.each(harnessEngines('skills'))('skills (%s)', (_, storage: (() => Promise<Storage>) | undefined) => {
  let h: Harness;
  let carol: CreatedKey;
  let bob: CreatedKey;
  const start = teamStart(storage, (t) => ({ h, carol, bob } = t));
  const openai = (key: CreatedKey) => new OpenAI({ apiKey: key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  const anthropic = (key: CreatedKey) => new Anthropic({ apiKey: key.key, baseURL: h.url, maxRetries: 0 });
  const refusedUnsent = (ask: () => Promise<unknown>, NotFound: typeof NotFoundError | typeof AnthropicNotFound) => refused<Error>(h, ask, NotFound);

  it('serves OpenAI skills, versions and contents to their team, each a free row, uploads streamed', async () => {
    await start();
    const skill = await openai(h.key).skills.create({ files: [await toFile(ZIP, 'report.zip', { type: 'application/zip' })] });
    expect(skill).toMatchObject({ object: 'skill', latest_version: '1' });
    const up = h.fake.requests.find((r) => r.route === 'openai.skills.create')!;
    expect(up.body.includes(ZIP)).toBe(true);
    expect(up.headers.authorization).toBe('Bearer sk-upstream-openai');
    const c = openai(carol);
    expect(await c.skills.retrieve(skill.id)).toMatchObject({ id: skill.id });
    const v2 = await c.skills.versions.create(skill.id, { files: [await toFile(Buffer.from('v2'), 'v2.zip')] });
    expect(v2).toMatchObject({ object: 'skill.version', skill_id: skill.id, version: '2' });
    expect(await c.skills.update(skill.id, { default_version: '2' })).toMatchObject({ default_version: '2' });
    expect((await c.skills.versions.list(skill.id)).data.map((v) => v.version)).toEqual(['1', '2']);
    expect(await c.skills.versions.retrieve('1', { skill_id: skill.id })).toMatchObject({ version: '1' });
    expect(Buffer.from(await (await c.skills.versions.content.retrieve('1', { skill_id: skill.id })).arrayBuffer()).equals(ZIP)).toBe(true);
    expect(Buffer.from(await (await c.skills.content.retrieve(skill.id)).arrayBuffer()).toString()).toBe('v2');
    expect(await c.skills.versions.delete('2', { skill_id: skill.id })).toMatchObject({ object: 'skill.version.deleted', version: '2' });
    // Deleting a version leaves the skill its team's.
    expect(await openai(h.key).skills.retrieve(skill.id)).toMatchObject({ id: skill.id });
    expect(await openai(h.key).skills.delete(skill.id)).toEqual({ id: skill.id, deleted: true, object: 'skill.deleted' });
    const rows = await h.rows();
    expect(rows.map((r) => r.api)).toEqual([
      'openai.skills',
      'openai.skills',
      'openai.skill_versions',
      'openai.skills',
      'openai.skill_versions',
      'openai.skill_versions',
      'openai.skill_content',
      'openai.skill_content',
      'openai.skill_versions',
      'openai.skills',
      'openai.skills',
    ]);
    for (const r of rows) expect(r).toMatchObject({ provider: 'openai', status: 200, outcome: 'ok', costPicos: 0n });
    expect(rows[0]!.responseId).toBe(skill.id);
    await eventually(async () => expect(await h.tollgate.storage.objects.owners([skill.id])).toEqual(new Map()));
  });

  it('refuses another team an OpenAI skill by every path, and lists each team its own', async () => {
    await start();
    const file = async () => [await toFile(ZIP, 'report.zip')];
    const skill = await openai(h.key).skills.create({ files: await file() });
    const bobs = await openai(bob).skills.create({ files: await file() });
    await h.mark();
    const b = openai(bob);
    const err = (await refusedUnsent(() => b.skills.retrieve(skill.id), NotFoundError)) as NotFoundError;
    expect(err.error).toMatchObject({ type: 'invalid_request_error', code: 'object_not_owned' });
    expect(err.message).toContain(`No skill with id '${skill.id}' found`);
    await refusedUnsent(() => b.skills.update(skill.id, { default_version: '1' }), NotFoundError);
    await refusedUnsent(() => b.skills.content.retrieve(skill.id), NotFoundError);
    await refusedUnsent(async () => b.skills.versions.create(skill.id, { files: await file() }), NotFoundError);
    await refusedUnsent(() => b.skills.versions.list(skill.id), NotFoundError);
    await refusedUnsent(() => b.skills.versions.retrieve('1', { skill_id: skill.id }), NotFoundError);
    await refusedUnsent(() => b.skills.versions.content.retrieve('1', { skill_id: skill.id }), NotFoundError);
    await refusedUnsent(() => b.skills.versions.delete('1', { skill_id: skill.id }), NotFoundError);
    await refusedUnsent(() => b.skills.delete(skill.id), NotFoundError);
    const refused = await h.rows();
    expect(refused).toHaveLength(9);
    for (const r of refused) expect(r).toMatchObject({ keyId: bob.id, status: 404, outcome: 'rejected', errorType: 'object_not_owned', costPicos: 0n });
    const listed = async (k: CreatedKey) => {
      const ids: string[] = [];
      for await (const s of openai(k).skills.list({ limit: 1 })) ids.push(s.id);
      return ids;
    };
    expect(await listed(bob)).toEqual([bobs.id]);
    expect(await listed(carol)).toEqual([skill.id]);
  });

  it('serves Anthropic skills and versions to their team, and refuses another team every path', async () => {
    await start();
    const files = async (text: Buffer) => [await anthropicFile(text, 'report/SKILL.md', { type: 'text/markdown' })];
    const skill = await anthropic(h.key).beta.skills.create({ files: await files(ZIP), display_name: 'Report' });
    expect(skill).toMatchObject({ type: 'skill', source: { type: 'custom' } });
    const up = h.fake.requests.find((r) => r.route === 'anthropic.skills.create')!;
    expect(up.body.includes(ZIP)).toBe(true);
    expect(up.headers['x-api-key']).toBe('sk-ant-upstream');
    const c = anthropic(carol);
    expect(await c.beta.skills.retrieve(skill.id)).toMatchObject({ id: skill.id });
    const v2 = await c.beta.skills.versions.create(skill.id, { files: await files(Buffer.from('v2')) });
    expect(v2).toMatchObject({ type: 'skill_version', skill_id: skill.id });
    expect((await c.beta.skills.versions.list(skill.id)).data).toHaveLength(2);
    expect(await c.skills.versions.retrieve(v2.id, { skill_id: skill.id })).toMatchObject({ id: v2.id });
    expect(Buffer.from(await (await c.beta.skills.versions.download(skill.latest_version_id, { skill_id: skill.id })).arrayBuffer()).equals(ZIP)).toBe(true);
    await h.mark();
    const b = anthropic(bob);
    const err = await refusedUnsent(() => b.beta.skills.retrieve(skill.id), AnthropicNotFound);
    expect((err as AnthropicNotFound).error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    await refusedUnsent(async () => b.beta.skills.versions.create(skill.id, { files: await files(ZIP) }), AnthropicNotFound);
    await refusedUnsent(() => b.beta.skills.versions.list(skill.id), AnthropicNotFound);
    await refusedUnsent(() => b.beta.skills.versions.retrieve(v2.id, { skill_id: skill.id }), AnthropicNotFound);
    await refusedUnsent(() => b.beta.skills.versions.download(v2.id, { skill_id: skill.id }), AnthropicNotFound);
    await refusedUnsent(() => b.beta.skills.versions.delete(v2.id, { skill_id: skill.id }), AnthropicNotFound);
    await refusedUnsent(() => b.beta.skills.delete(skill.id), AnthropicNotFound);
    for (const r of await h.rows()) expect(r).toMatchObject({ keyId: bob.id, status: 404, outcome: 'rejected', errorType: 'object_not_owned' });
    // Anthropic's own skills are every key's to read.
    expect(await b.beta.skills.retrieve('pptx')).toMatchObject({ id: 'pptx', source: { type: 'anthropic' } });
    expect((await b.beta.skills.versions.list('pptx')).data).toHaveLength(1);
    expect(await c.beta.skills.versions.delete(v2.id, { skill_id: skill.id })).toMatchObject({ type: 'skill_version_deleted' });
    expect(await anthropic(h.key).beta.skills.delete(skill.id)).toEqual({ id: skill.id, type: 'skill_deleted' });
    const rows = (await h.rows()).filter((r) => r.keyId !== bob.id);
    expect(rows.map((r) => r.api)).toEqual(['anthropic.skill_versions', 'anthropic.skills']);
    for (const r of rows) expect(r).toMatchObject({ provider: 'anthropic', status: 200, costPicos: 0n });
    await eventually(async () => expect(await h.tollgate.storage.objects.owners([skill.id])).toEqual(new Map()));
  });

  it('streams a skill upload, never holding it whole: one past server.max_body_mb goes through, one past server.max_upload_mb gets 413', async () => {
    await start({ maxBodyBytes: 64 * 1024, maxUploadBytes: 2 * 1024 * 1024 });
    const big = Buffer.alloc(1024 * 1024, 'a');
    const skill = await openai(h.key).skills.create({ files: [await toFile(big, 'big.zip')] });
    expect(h.fake.requests.find((r) => r.route === 'openai.skills.create')!.body.includes(big)).toBe(true);
    expect(await anthropic(h.key).beta.skills.create({ files: [await anthropicFile(big, 'big/SKILL.md')] })).toMatchObject({ type: 'skill' });
    const asked = h.fake.requests.length;
    const err = await openai(h.key).skills.versions.create(skill.id, { files: [await toFile(Buffer.alloc(3 * 1024 * 1024), 'huge.zip')] }).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ status: 413 });
    expect(h.fake.requests.filter((r) => r.route === 'openai.skills.versions.create')).toHaveLength(0);
    expect(h.fake.requests.length).toBe(asked);
  });

  it('lists each team its own Anthropic skills and Anthropic own skills to all, paging by the upstream token', async () => {
    await start();
    const make = async (k: CreatedKey) => (await anthropic(k).beta.skills.create({ files: [await anthropicFile(ZIP, 'r/SKILL.md')] })).id;
    const alices = [await make(h.key), await make(h.key), await make(carol)];
    const bobs = await make(bob);
    const listed = async (k: CreatedKey, limit: number) => {
      const ids: string[] = [];
      for await (const s of anthropic(k).beta.skills.list({ limit })) ids.push(s.id);
      return ids;
    };
    expect(await listed(bob, 1)).toEqual([bobs, 'pptx', 'xlsx']);
    expect(await listed(carol, 2)).toEqual([...alices, 'pptx', 'xlsx']);
    const page = await anthropic(bob).beta.skills.list({ limit: 2 });
    // Two upstream pages (alice's, then alice's and bob's) make one page of bob's, its token the upstream's after them.
    expect(page.data.map((s) => s.id)).toEqual([bobs]);
    expect(page.next_page).toMatch(/^page_/);
    expect(h.fake.requests.filter((r) => r.route === 'anthropic.skills.list').at(-1)!.query.page).toBeDefined();
  });
});
