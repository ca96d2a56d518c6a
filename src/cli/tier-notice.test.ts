import { describe, expect, it } from 'vitest';
import type { DroppedTier } from '../pricing/index.js';
import { tierNotices } from './tier-notice.js';

const sol: DroppedTier = {
  index: 1,
  glob: 'gpt-5.6-sol*',
  catalog: 'openai',
  model: 'gpt-5.6-sol',
  above: 271_999,
  prices: [
    { name: 'input', short: '4', long: '8' },
    { name: 'output', short: '20', long: '30' },
  ],
};

describe('tierNotices', () => {
  it('names the override’s glob and the tier it drops: boundary and prices, short and long', () => {
    expect(tierNotices([sol])).toEqual([
      'Pricing: override "gpt-5.6-sol*" (pricing.overrides[1]) has no long_context, so every request it prices is billed at its flat prices, however long: it drops the long-context tier of gpt-5.6-sol (openai) above 271999 input tokens: input 4 → 8, output 20 → 30. Give it long_context (docs/pricing.md).',
    ]);
  });

  it('one line an override: three models in full, the rest by name', () => {
    const many = ['gpt-5.4', 'gpt-5.5', 'gpt-5.6-luna', 'gpt-5.6-sol', 'gpt-5.6-terra'].map((model) => ({ ...sol, index: 0, glob: 'gpt-5*', model }));
    const lines = tierNotices([...many, { ...sol, index: 2, glob: 'claude-haiku-5-5*', model: 'claude-haiku-5-5', catalog: 'anthropic', above: 100_000 }]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('it drops the long-context tiers of gpt-5.4 (openai) above 271999 input tokens: input 4 → 8, output 20 → 30; gpt-5.5 (openai)');
    expect(lines[0]).toContain('; also the tiers of gpt-5.6-sol, gpt-5.6-terra. Give it long_context');
    expect(lines[1]).toMatch(/^Pricing: override "claude-haiku-5-5\*" \(pricing\.overrides\[2\]\) .* claude-haiku-5-5 \(anthropic\) above 100000 input tokens/);
  });
});
