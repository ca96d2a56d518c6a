import { describe, expect, it } from 'vitest';
import type { Api } from '../core/api.js';
import { zeroUsage } from '../core/usage.js';
import type { FinishedResponse } from './background-usage.js';
import { newFacts } from './build-row.js';
import { StoredResponses } from './stored-responses.js';

function facts(api: Api, responseId: string | null, usage: boolean, o: { pending?: boolean; background?: boolean; status?: number } = {}) {
  const f = newFacts('r', 0, api);
  f.responseId = responseId;
  f.pendingResponse = o.pending === true;
  f.backgroundResponse = o.background === true;
  f.status = o.status ?? 200;
  f.servedModel = 'gpt-5-2025-08-07';
  if (usage) {
    f.usage = { ...zeroUsage(), inputTokens: 300, outputTokens: 80 };
    f.usageSource = 'final';
  }
  return f;
}

function stored() {
  const seen: FinishedResponse[] = [];
  return { s: new StoredResponses((r) => seen.push(r)), seen };
}

describe('StoredResponses', () => {
  it('leaves every lookup no usage and no response id', () => {
    const { s } = stored();
    for (const f of [facts('openai.responses_lookup', 'resp_1', true), facts('openai.responses_lookup', 'resp_1', true, { background: true })]) {
      s.settle(f);
      expect(f).toMatchObject({ usage: zeroUsage(), usageSource: 'none', responseId: null });
    }
  });

  it('hands a finished response’s usage on, saying whether it was seen created here in the background', () => {
    const { s, seen } = stored();
    s.settle(facts('openai.responses', 'resp_1', false, { pending: true }));
    s.settle(facts('openai.responses_lookup', 'resp_1', false));
    s.settle(facts('openai.responses_lookup', 'resp_1', true, { background: true }));
    s.settle(facts('openai.responses_lookup', 'resp_1', true, { background: true }));
    s.settle(facts('openai.responses_lookup', 'resp_2', true));
    expect(seen.map((r) => [r.responseId, r.local, r.background, r.usage.inputTokens, r.servedModel])).toEqual([
      ['resp_1', true, true, 300, 'gpt-5-2025-08-07'],
      ['resp_1', false, true, 300, 'gpt-5-2025-08-07'],
      ['resp_2', false, false, 300, 'gpt-5-2025-08-07'],
    ]);
  });

  it('hands a background interaction looked up finished on as Gemini’s, to bill its creation row, and leaves the lookup free', () => {
    const { s, seen } = stored();
    s.settle(facts('gemini.interactions', 'v1_bg', false, { pending: true }));
    const lookup = facts('gemini.interactions_lookup', 'v1_bg', true);
    s.settle(lookup);
    expect(seen.map((r) => [r.api, r.responseId, r.local, r.usage.inputTokens])).toEqual([['gemini.interactions', 'v1_bg', true, 300]]);
    expect(lookup).toMatchObject({ usage: zeroUsage(), usageSource: 'none', responseId: null });
  });

  it('hands on no error answer, forgets the oldest id when full, and never touches other APIs', () => {
    const seen: FinishedResponse[] = [];
    const s = new StoredResponses((r) => seen.push(r), 1);
    s.settle(facts('openai.responses', 'resp_1', false, { pending: true }));
    s.settle(facts('openai.responses', 'resp_2', false, { pending: true }));
    s.settle(facts('openai.responses_lookup', 'resp_1', true));
    s.settle(facts('openai.responses_lookup', 'resp_2', true, { status: 404 }));
    expect(seen.map((r) => [r.responseId, r.local])).toEqual([['resp_1', false]]);
    const chat = facts('openai.chat', 'chatcmpl-1', true);
    s.settle(chat);
    expect(chat).toMatchObject({ usageSource: 'final', responseId: 'chatcmpl-1' });
  });
});
