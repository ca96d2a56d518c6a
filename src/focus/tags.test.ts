import { describe, expect, it } from 'vitest';
import { sampleRow } from '../storage/testing/rows.js';
import { tagsOf } from './tags.js';

describe('FOCUS Tags of a row', () => {
  const base = { user: null, team: null, project: null, sessionId: null, client: null, pool: null };

  it('puts the tags the gateway set under the tollgate/ prefix, and the client s own as sent', () => {
    const translated = sampleRow({ ...base, tags: { translated: 'openai', cache: 'auto', workflow: 'review' } });
    expect(tagsOf(translated)).toEqual({ 'tollgate/cache': 'auto', 'tollgate/translated': 'openai', workflow: 'review' });
    expect(tagsOf(sampleRow({ ...base, tags: { client_version: '2.1.197', workflow: 'review' } }))).toEqual({ 'tollgate/client_version': '2.1.197', workflow: 'review' });
    expect(tagsOf(sampleRow({ ...base, tags: { agent_id: 'a7f3c2', parent_agent_id: 'a0b1' } }))).toEqual({ 'tollgate/agent_id': 'a7f3c2', 'tollgate/parent_agent_id': 'a0b1' });
    const batch = sampleRow({ ...base, api: 'anthropic.batch_message', tags: { batch_id: 'msgbatch_1', custom_id: 'q-7', workflow: 'nightly' } });
    expect(tagsOf(batch)).toEqual({ 'tollgate/batch_id': 'msgbatch_1', 'tollgate/custom_id': 'q-7', workflow: 'nightly' });
    const file = sampleRow({ ...base, api: 'openai.batch_request', tags: { output_file_id: 'file-9', custom_id: 'r1' } });
    expect(tagsOf(file)).toEqual({ 'tollgate/output_file_id': 'file-9', 'tollgate/custom_id': 'r1' });
  });

  it('leaves a client tag of such a name alone where the gateway would not have set it', () => {
    const row = sampleRow({ ...base, api: 'openai.chat', tags: { cache: 'warm', translated: 'by-hand', batch_id: 'nightly-3', custom_id: 'x' } });
    expect(tagsOf(row)).toEqual({ cache: 'warm', translated: 'by-hand', batch_id: 'nightly-3', custom_id: 'x' });
  });
});
