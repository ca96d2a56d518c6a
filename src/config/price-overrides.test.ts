import { describe, expect, it } from 'vitest';
import { configJsonSchema, loadConfig } from './index.js';
import { configFile as file, configIssues as issues } from './testing.js';

const SOL = `pricing:
  overrides:
    - model: "gpt-5.6-sol*"
      input: 5.00
      cache_read: 0.50
      cache_write: 6.25
      output: 30.00
`;

describe('pricing.overrides[].long_context', () => {
  it('reads the tier as exact decimal text with its boundary; an override without one has none', () => {
    const c = loadConfig({ file: file(`${SOL}      long_context: { above_tokens: 272000, input: 10.00, cache_read: 1.00, cache_write: 12.50, output: 45.00 }\n    - { model: "acme-*", input: 1, output: 2 }\n`), env: {} });
    expect(c.pricing.overrides[0]).toEqual({
      model: 'gpt-5.6-sol*',
      provider: undefined,
      input: '5',
      cacheRead: '0.5',
      cacheWrite: '6.25',
      cacheWrite1h: undefined,
      output: '30',
      longContext: { aboveTokens: 272_000, input: '10', cacheRead: '1', cacheWrite: '12.5', cacheWrite1h: undefined, output: '45' },
    });
    expect(c.pricing.overrides[1]!.longContext).toBeUndefined();
  });

  it('names a tier that leaves out a cache price its override sets, or sets one its override lacks, at the tier’s line', () => {
    expect(issues(`${SOL}      long_context:\n        above_tokens: 272000\n        input: 10\n        cache_write: 12.5\n        cache_write_1h: 20\n        output: 45\n`)).toEqual([
      'pricing.overrides[0].long_context.cache_read@9: is required: the override sets cache_read, so its long-context tier must price it too',
      'pricing.overrides[0].long_context.cache_write_1h@12: the override has no cache_write_1h of its own; set cache_write_1h on the override too, or leave it out here',
    ]);
  });

  it('checks the boundary and the prices as the override’s own, and knows the keys', () => {
    expect(issues(`${SOL}      long_context: { above_tokens: 272000.5, input: 10, cache_read: 1, cache_write: -1, output: 45 }\n`)).toEqual([
      'pricing.overrides[0].long_context.above_tokens@8: must be a whole number of input tokens',
      'pricing.overrides[0].long_context.cache_write@8: must be a number ≥ 0',
    ]);
    expect(issues(`${SOL}      long_context:\n        above_tokens: 0\n        input: 10.0000001\n        cache_read: 1\n        cache_write: 12.5\n        output: 4500000\n`)).toEqual([
      'pricing.overrides[0].long_context.above_tokens@9: must be at least 1',
      'pricing.overrides[0].long_context.input@10: must have at most 6 decimal places (a picodollar a token)',
      'pricing.overrides[0].long_context.output@13: must be at most 100000 (USD per million tokens)',
    ]);
    expect(issues(`${SOL}      long_context: { above: 272000, input: 10, cache_read: 1, cache_write: 12.5 }\n`)).toEqual([
      'pricing.overrides[0].long_context.above_tokens@8: is required',
      'pricing.overrides[0].long_context.output@8: is required',
      'pricing.overrides[0].long_context.above@8: unknown setting (valid: above_tokens, input, cache_read, cache_write, cache_write_1h, output)',
    ]);
    expect(issues(`${SOL}      long_context: { above_tokens: "lots", input: 10, cache_read: 1, cache_write: 12.5, output: 45 }\n`)).toEqual(['pricing.overrides[0].long_context.above_tokens@8: must be a whole number of input tokens']);
  });

  it('is in the JSON Schema for editors', () => {
    const s = configJsonSchema() as { properties: { pricing: { properties: { overrides: { items: { properties: Record<string, { properties?: Record<string, unknown> }> } } } } } };
    expect(Object.keys(s.properties.pricing.properties.overrides.items.properties.long_context!.properties!)).toEqual(['above_tokens', 'input', 'cache_read', 'cache_write', 'cache_write_1h', 'output']);
  });
});
