import { describe, expect, it } from 'vitest';
import { BatchTotals, budgetParts } from './batch-estimate.js';
import { budget } from './testing/enforcer.js';

describe('BatchTotals', () => {
  const body = (text: string) => ({ model: 'm', messages: [{ role: 'user', content: text }] });

  it('sums each model’s requests, conservative input (bytes) and the output caps, the default where none is set', () => {
    const t = new BatchTotals({ defaultMaxOutputTokens: 1000, inputCounting: 'conservative' });
    t.add({ model: 'a', json: body('x'), bodyBytes: 40, maxOutputTokens: 64 });
    t.add({ model: 'b', json: body('y'), bodyBytes: 10, maxOutputTokens: undefined });
    t.add({ model: 'a', json: body('z'), bodyBytes: 60, maxOutputTokens: 16 });
    expect(t.totals).toEqual([
      { model: 'a', requests: 2, inputTokens: 100, outputTokens: 80 },
      { model: 'b', requests: 1, inputTokens: 10, outputTokens: 1000 },
    ]);
  });

  it('typical counting estimates input from the text, not the bytes', () => {
    const t = new BatchTotals({ defaultMaxOutputTokens: 1000, inputCounting: 'typical' });
    t.add({ model: 'a', json: body('x'.repeat(400)), bodyBytes: 5000, maxOutputTokens: 1 });
    const [a] = t.totals;
    expect(a!.inputTokens).toBeGreaterThan(50);
    expect(a!.inputTokens).toBeLessThan(5000);
  });

  it('sums the searches, tool fees, result tokens and audio output its requests declare, counted as each alone would be', () => {
    const t = new BatchTotals({ defaultMaxOutputTokens: 1000, inputCounting: 'conservative', serverToolUses: 2, serverToolResultTokens: 100, serverToolFeePicos: 7n });
    const search = { model: 'claude-sonnet-4-5', messages: [], tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }] };
    t.add({ model: 'a', json: search, bodyBytes: 40, maxOutputTokens: 64 });
    t.add({ model: 'a', json: { ...search, tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, bodyBytes: 40, maxOutputTokens: 64 });
    t.add({ model: 'gpt-audio', json: { modalities: ['text', 'audio'] }, bodyBytes: 10, maxOutputTokens: 50 });
    t.add({ model: 'gpt-5', json: { tools: [{ type: 'code_interpreter', container: { type: 'auto' } }] }, bodyBytes: 10, maxOutputTokens: 50 });
    expect(t.totals).toEqual([
      // 3 and 2 uses (the setting), each result 100 tokens; a search on a model without a price per search would count the fee.
      { model: 'a', requests: 2, inputTokens: 580, outputTokens: 128, webSearches: 5, toolFee: 7n },
      { model: 'gpt-audio', requests: 1, inputTokens: 10, outputTokens: 50, audioOutputTokens: 50 },
      { model: 'gpt-5', requests: 1, inputTokens: 210, outputTokens: 50, toolFeeUses: 2, toolFee: 7n },
    ]);
  });

  it('an empty batch has no totals', () => {
    expect(new BatchTotals({ defaultMaxOutputTokens: 1, inputCounting: 'conservative' }).totals).toEqual([]);
  });

  it('a model whose requests are not read (a Gemini batch from a file) is one of its models, at the least a request costs', () => {
    const t = new BatchTotals({ defaultMaxOutputTokens: 1000, inputCounting: 'conservative' });
    t.unread('gemini-2.5-flash');
    t.add({ model: 'a', json: body('x'), bodyBytes: 40, maxOutputTokens: 64 });
    t.unread('a');
    expect(t.totals).toEqual([
      { model: 'gemini-2.5-flash', requests: 0, inputTokens: 0, outputTokens: 1 },
      { model: 'a', requests: 1, inputTokens: 40, outputTokens: 64 },
    ]);
  });
});

describe('budgetParts', () => {
  const b = (id: string) => budget({ id, scope: 'org', window: 'day', limit_usd: 1 });
  const [team, user, opus, haiku] = [b('team'), b('user'), b('opus'), b('haiku')];

  it('groups budgets by the models they cover, each group holding the sum of its models', () => {
    const parts = budgetParts([
      { model: 'opus', budgets: [team, user, opus], cost: 30n, tokens: 3 },
      { model: 'haiku', budgets: [team, user, haiku], cost: 5n, tokens: 50 },
    ]);
    expect(parts.map((p) => ({ ...p, budgets: p.budgets.map((x) => x.id) }))).toEqual([
      { model: 'opus', budgets: ['team', 'user'], cost: 35n, tokens: 53 },
      { model: 'opus', budgets: ['opus'], cost: 30n, tokens: 3 },
      { model: 'haiku', budgets: ['haiku'], cost: 5n, tokens: 50 },
    ]);
  });

  it('has no part without budgets', () => {
    expect(budgetParts([{ model: 'x', budgets: [], cost: 1n, tokens: 1 }])).toEqual([]);
  });
});
