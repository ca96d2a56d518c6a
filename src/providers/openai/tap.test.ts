import { describe, expect, it } from 'vitest';
import { runTap } from '../testing/tap-runner.js';
import type { RouteMatch, TapContext } from '../types.js';
import { openaiAdapter } from './adapter.js';

const json: TapContext = { status: 200, contentType: 'application/json', stream: false, injectedStreamUsage: false, requestedModel: '' };

describe('the taps of the Skills API', () => {
  const run = (route: Omit<RouteMatch, 'dialect'>, body: Buffer, ctx = json) => runTap(openaiAdapter.createTap({ ...route, dialect: 'openai' }, ctx), [body], true);

  it('reads the id of a skill made, as the row response_id, its bytes unchanged; not of a version or an update', () => {
    const skill = Buffer.from(JSON.stringify({ id: 'skill_1', object: 'skill', created_at: 1, default_version: '1', description: 'd', latest_version: '1', name: 'report' }, null, 2));
    const made = run({ api: 'openai.skills', method: 'POST' }, skill);
    expect(made.bytes.equals(skill)).toBe(true);
    expect(made.metered).toMatchObject({ responseId: 'skill_1', usage: { inputTokens: 0, outputTokens: 0 } });
    expect(run({ api: 'openai.skills', method: 'POST', resourceId: 'skill_1' }, skill).metered.responseId).toBeUndefined();
    const version = Buffer.from(JSON.stringify({ id: 'skillver_1', object: 'skill.version', skill_id: 'skill_1', version: '2' }));
    expect(run({ api: 'openai.skill_versions', method: 'POST', resourceId: 'skill_1' }, version).metered.responseId).toBeUndefined();
    // An answer that is no skill makes none.
    expect(run({ api: 'openai.skills', method: 'POST' }, Buffer.from('{"object":"list","data":[]}')).metered.responseId).toBeUndefined();
  });

  it('passes a content download through unread, whatever its bytes', () => {
    const zip = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0xff, 0x00, 0x7b]);
    const tap = openaiAdapter.createTap({ api: 'openai.skill_content', dialect: 'openai', method: 'GET', resourceId: 'skill_1' }, { ...json, contentType: 'application/zip' });
    expect(tap.readsNothing).toBe(true);
    expect(runTap(tap, [zip, zip], true).bytes.equals(Buffer.concat([zip, zip]))).toBe(true);
  });
});
