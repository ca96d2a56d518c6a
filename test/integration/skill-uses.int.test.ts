import Anthropic, { NotFoundError as AnthropicNotFound, toFile as anthropicFile } from '@anthropic-ai/sdk';
import OpenAI, { NotFoundError, toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import type { CreatedKey } from '../../src/identity/key-service.js';
import type { Storage } from '../../src/storage/ports.js';
import type { Harness } from '../support/harness.js';
import { harnessEngines, refusedUnsent as refused, teamStart } from '../support/team-storage.js';

const SKILL_MD = Buffer.from('---\nname: report\ndescription: Writes the weekly report.\n---\nSteps.\n');

/**
 * The skills a request loads are kept to their team as the skills are (auth.stored_objects: team):
 * an Anthropic Messages request's, count_tokens' or Message Batch request's `container.skills` and
 * an OpenAI shell tool's `container_auto` skills naming another team's skill are refused with the
 * provider's 404, nothing sent upstream; Anthropic's own skills (`type: "anthropic"`) are everyone's.
 */
describe.each(harnessEngines('skilluse'))('the skills a request loads (%s)', (_, storage: (() => Promise<Storage>) | undefined) => {
  let h: Harness;
  let carol: CreatedKey;
  let bob: CreatedKey;
  const start = teamStart(storage, (t) => ({ h, carol, bob } = t));
  const refusedUnsent = (ask: () => Promise<unknown>, NotFound: typeof NotFoundError | typeof AnthropicNotFound) => refused<Error>(h, ask, NotFound);

  it('refuses a Messages request loading another team custom skill, and accepts Anthropic own and its team ones', async () => {
    await start();
    const anthropic = (k: CreatedKey) => new Anthropic({ apiKey: k.key, baseURL: h.url, maxRetries: 0 });
    const skill = await anthropic(h.key).beta.skills.create({ files: [await anthropicFile(SKILL_MD, 'report/SKILL.md')] });
    const skills = (id: string, type: 'custom' | 'anthropic' = 'custom') => [{ type, skill_id: id, version: 'latest' }];
    const params = (s: { type: 'custom' | 'anthropic'; skill_id: string; version: string }[]) => ({
      model: 'claude-sonnet-5-5',
      max_tokens: 16,
      betas: ['skills-2025-10-02', 'code-execution-2025-08-25'],
      container: { skills: s },
      tools: [{ type: 'code_execution_20250825' as const, name: 'code_execution' as const }],
      messages: [{ role: 'user' as const, content: 'Write the report.' }],
    });
    const b = anthropic(bob);
    const err = await refusedUnsent(() => b.beta.messages.create(params(skills(skill.id))), AnthropicNotFound);
    expect(err.message).toContain(`No skill with id '${skill.id}' found`);
    await refusedUnsent(() => b.beta.messages.create(params([...skills('pptx', 'anthropic'), ...skills(skill.id)])), AnthropicNotFound);
    await refusedUnsent(() => b.beta.messages.countTokens(params(skills(skill.id))), AnthropicNotFound);
    const batch = (k: CreatedKey, s: ReturnType<typeof skills>) => {
      const { betas: _, ...p } = params(s);
      return anthropic(k).beta.messages.batches.create({ requests: [{ custom_id: 'a', params: p }] });
    };
    await refusedUnsent(() => batch(bob, skills(skill.id)), AnthropicNotFound);
    const rows = await h.rows();
    expect(rows.slice(-4)).toEqual(Array.from({ length: 4 }, () => expect.objectContaining({ keyId: bob.id, status: 404, outcome: 'rejected', errorType: 'object_not_owned' })));

    // Anthropic's own skills are everyone's; a team's custom skill is its team's.
    expect(await b.beta.messages.create(params(skills('pptx', 'anthropic')))).toMatchObject({ type: 'message' });
    expect(h.fake.requests.at(-1)!.json).toMatchObject({ container: { skills: [{ type: 'anthropic', skill_id: 'pptx' }] } });
    expect(await anthropic(carol).beta.messages.create(params([...skills('xlsx', 'anthropic'), ...skills(skill.id)]))).toMatchObject({ type: 'message' });
    expect(await anthropic(carol).beta.messages.countTokens(params(skills(skill.id)))).toMatchObject({ input_tokens: expect.any(Number) });
    expect(await batch(carol, skills(skill.id))).toMatchObject({ type: 'message_batch' });
  });

  it('refuses a Responses request whose shell tool loads another team skill, and accepts its team', async () => {
    await start();
    const openai = (k: CreatedKey) => new OpenAI({ apiKey: k.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const skill = await openai(h.key).skills.create({ files: [await toFile(SKILL_MD, 'SKILL.md')] });
    const ask = (k: CreatedKey, skillId: string) =>
      openai(k).responses.create({
        model: 'gpt-5',
        input: 'Write the report.',
        tools: [{ type: 'shell', environment: { type: 'container_auto', skills: [{ type: 'skill_reference', skill_id: skillId, version: 'latest' }] } }],
      });
    const err = (await refusedUnsent(() => ask(bob, skill.id), NotFoundError)) as NotFoundError;
    expect(err.error).toMatchObject({ type: 'invalid_request_error', code: 'object_not_owned' });
    await refusedUnsent(
      () => openai(bob).responses.inputTokens.count({ model: 'gpt-5', input: 'x', tools: [{ type: 'shell', environment: { type: 'container_auto', skills: [{ type: 'skill_reference', skill_id: skill.id }] } }] }),
      NotFoundError,
    );
    expect(await ask(carol, skill.id)).toMatchObject({ object: 'response' });
  });

  it('refuses a container created with another team skill, and makes one for its team', async () => {
    await start();
    const openai = (k: CreatedKey) => new OpenAI({ apiKey: k.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const skill = await openai(h.key).skills.create({ files: [await toFile(SKILL_MD, 'SKILL.md')] });
    const make = (k: CreatedKey) => openai(k).containers.create({ name: 'reports', skills: [{ type: 'skill_reference', skill_id: skill.id }] });
    const err = (await refusedUnsent(() => make(bob), NotFoundError)) as NotFoundError;
    expect(err.error).toMatchObject({ type: 'invalid_request_error', code: 'object_not_owned' });
    expect(await make(carol)).toMatchObject({ object: 'container' });
  });
});
