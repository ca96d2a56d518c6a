import { describe, expect, it } from 'vitest';
import type { Api } from '../core/api.js';
import { zeroUsage } from '../core/usage.js';
import { newFacts } from './build-row.js';
import { StoredResponses } from './stored-responses.js';

function facts(api: Api, responseId: string | null, usage: boolean, pending = false) {
  const f = newFacts('r', 0, api);
  f.responseId = responseId;
  f.pendingResponse = pending;
  if (usage) {
    f.usage = { ...zeroUsage(), inputTokens: 300, outputTokens: 80 };
    f.usageSource = 'final';
  }
  return f;
}

describe('StoredResponses', () => {
  it('leaves a lookup no usage and no response id', () => {
    const f = facts('openai.responses_lookup', 'resp_1', true);
    new StoredResponses().settle(f);
    expect(f).toMatchObject({ usage: zeroUsage(), usageSource: 'none', responseId: null });
  });

  it('gives a background response’s usage to the first lookup that returns it, and to no other', () => {
    const s = new StoredResponses();
    s.settle(facts('openai.responses', 'resp_1', false, true));
    const early = facts('openai.responses_lookup', 'resp_1', false);
    s.settle(early);
    const first = facts('openai.responses_lookup', 'resp_1', true);
    s.settle(first);
    const again = facts('openai.responses_lookup', 'resp_1', true);
    s.settle(again);
    expect(early.usageSource).toBe('none');
    expect(first).toMatchObject({ usageSource: 'final', responseId: 'resp_1' });
    expect(first.usage.inputTokens).toBe(300);
    expect(again).toMatchObject({ usageSource: 'none', responseId: null });
  });

  it('forgets the oldest pending id when full, and never touches other APIs', () => {
    const s = new StoredResponses(1);
    s.settle(facts('openai.responses', 'resp_1', false, true));
    s.settle(facts('openai.responses', 'resp_2', false, true));
    const old = facts('openai.responses_lookup', 'resp_1', true);
    s.settle(old);
    expect(old.usageSource).toBe('none');
    const chat = facts('openai.chat', 'chatcmpl-1', true);
    s.settle(chat);
    expect(chat).toMatchObject({ usageSource: 'final', responseId: 'chatcmpl-1' });
  });
});
