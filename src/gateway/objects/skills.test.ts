import { describe, expect, it } from 'vitest';
import { lookupRoute } from '../../providers/index.js';
import type { RouteMatch } from '../../providers/types.js';
import { madeByAnthropic, namedSkills, readsAnthropicSkill } from './skills.js';

function route(method: string, path: string, dialect: 'openai' | 'anthropic'): RouteMatch {
  const found = lookupRoute(method, path, [dialect]);
  if (found.kind !== 'match') throw new Error(`no route for ${method} ${path}`);
  return found.route;
}

describe('the skills a request loads', () => {
  const ask = { model: 'claude-sonnet-5-5', max_tokens: 8, messages: [] };
  const container = (skills: unknown) => ({ ...ask, container: { id: 'container_1', skills } });

  it('reads the custom skills of an Anthropic container, never Anthropic own, in Messages, count_tokens and batch requests', () => {
    const skills = [
      { type: 'anthropic', skill_id: 'pptx', version: 'latest' },
      { type: 'custom', skill_id: 'skill_01A', version: 'latest' },
      { type: 'custom', skill_id: 'skill_01B' },
      { type: 'custom', skill_id: 'skill_01A', version: '1759178010641129' },
    ];
    expect(namedSkills('anthropic.messages', container(skills))).toEqual(['skill_01A', 'skill_01B']);
    expect(namedSkills('anthropic.count_tokens', container(skills))).toEqual(['skill_01A', 'skill_01B']);
    const batch = { requests: [{ custom_id: 'a', params: container(skills.slice(0, 2)) }, { custom_id: 'b', params: container([{ type: 'custom', skill_id: 'skill_01C' }]) }, { custom_id: 'c', params: ask }] };
    expect(namedSkills('anthropic.batches', batch)).toEqual(['skill_01A', 'skill_01C']);
    // A type the API may add later is checked as a custom skill is, rather than let through.
    expect(namedSkills('anthropic.messages', container([{ type: 'workspace', skill_id: 'skill_01D' }, { skill_id: 'skill_01E' }]))).toEqual(['skill_01D', 'skill_01E']);
    expect(namedSkills('anthropic.messages', container([{ type: 'anthropic', skill_id: 'xlsx' }]))).toEqual([]);
    for (const odd of [undefined, null, 'container_1', { skills: 'x' }, { skills: [null, 3, { type: 'custom' }] }]) expect(namedSkills('anthropic.messages', { ...ask, container: odd })).toEqual([]);
  });

  it('reads the skill references a container is created with, not inline skills', () => {
    const skills = [{ type: 'skill_reference', skill_id: 'skill_1' }, { type: 'inline', name: 'x', description: 'y', source: { type: 'base64', media_type: 'application/zip', data: 'UEsDBA==' } }];
    expect(namedSkills('openai.containers', { name: 'c', skills })).toEqual(['skill_1']);
    expect(namedSkills('openai.containers', { name: 'c' })).toEqual([]);
  });

  it('reads the skill references of a Responses shell tool container_auto environment, not inline or local skills', () => {
    const shell = (environment: unknown) => ({ model: 'gpt-5', input: 'go', tools: [{ type: 'function', name: 'f', parameters: {} }, { type: 'shell', environment }] });
    const auto = {
      type: 'container_auto',
      skills: [
        { type: 'skill_reference', skill_id: 'skill_1', version: 'latest' },
        { type: 'inline', name: 'x', description: 'y', source: { type: 'base64', media_type: 'application/zip', data: 'UEsDBA==' } },
        { type: 'skill_reference', skill_id: 'skill_2' },
      ],
    };
    for (const api of ['openai.responses', 'openai.compact', 'openai.input_tokens'] as const) expect(namedSkills(api, shell(auto))).toEqual(['skill_1', 'skill_2']);
    expect(namedSkills('openai.responses', shell({ type: 'local', skills: [{ name: 'x', description: 'y', path: '/skills/x' }] }))).toEqual([]);
    expect(namedSkills('openai.responses', shell({ type: 'container_reference', container_id: 'cntr_1' }))).toEqual([]);
    expect(namedSkills('openai.responses', { model: 'gpt-5', tools: [{ type: 'code_interpreter', container: auto }] })).toEqual([]);
    expect(namedSkills('openai.chat', shell(auto))).toEqual([]);
    expect(namedSkills('openai.responses', 'not an object')).toEqual([]);
  });
});

describe('Anthropic own skills', () => {
  it('are those a list says Anthropic made, whichever way its source is written', () => {
    expect(madeByAnthropic({ id: 'pptx', source: 'anthropic' })).toBe(true);
    expect(madeByAnthropic({ id: 'pptx', source: { type: 'anthropic' } })).toBe(true);
    expect(madeByAnthropic({ id: 'skill_01X', source: { type: 'anthropic_example' } })).toBe(true);
    expect(madeByAnthropic({ id: 'skill_01X', source: 'custom' })).toBe(false);
    expect(madeByAnthropic({ id: 'skill_01X', source: { type: 'plugin' } })).toBe(false);
    expect(madeByAnthropic({ id: 'skill_01X' })).toBe(false);
  });

  it('are read by their names, not the skill_ ids an account makes, and only read', () => {
    expect(readsAnthropicSkill(route('GET', '/v1/skills/pptx', 'anthropic'))).toBe(true);
    expect(readsAnthropicSkill(route('GET', '/v1/skills/pptx/versions', 'anthropic'))).toBe(true);
    expect(readsAnthropicSkill(route('GET', '/v1/skills/xlsx/versions/1759178010641129/content', 'anthropic'))).toBe(true);
    expect(readsAnthropicSkill(route('GET', '/v1/skills/skill_01AbC', 'anthropic'))).toBe(false);
    // Not a name of Anthropic's kind (a changed id format would have capitals): checked.
    expect(readsAnthropicSkill(route('GET', '/v1/skills/sk01AbCdEf', 'anthropic'))).toBe(false);
    expect(readsAnthropicSkill(route('DELETE', '/v1/skills/pptx', 'anthropic'))).toBe(false);
    expect(readsAnthropicSkill(route('POST', '/v1/skills/pptx/versions', 'anthropic'))).toBe(false);
    expect(readsAnthropicSkill(route('GET', '/v1/skills', 'anthropic'))).toBe(false);
    // OpenAI has no skills of its own to share.
    expect(readsAnthropicSkill(route('GET', '/v1/skills/pptx', 'openai'))).toBe(false);
  });
});
