import { describe, expect, it } from 'vitest';
import { rowTier, tierModifiers } from './service-tier.js';

describe('service tier of a row', () => {
  it('records what the provider reported, and nothing for the standard tier', () => {
    for (const standard of [undefined, '', 'default', 'standard', 'auto', 'ON_DEMAND']) expect(rowTier(standard, undefined, undefined), String(standard)).toBeNull();
    for (const tier of ['flex', 'priority', 'scale', 'ultrafast', 'batch', 'fast', 'ON_DEMAND_PRIORITY']) expect(rowTier(tier, undefined, undefined)).toBe(tier);
  });

  it('adds Anthropic fast mode and US-only inference, which the pricer applies too, joined by +', () => {
    expect(rowTier('standard', 'fast', 'global')).toBe('fast');
    expect(rowTier('standard', 'standard', 'us')).toBe('us');
    expect(rowTier('batch', undefined, 'US')).toBe('batch+us');
    expect(rowTier('priority', 'fast', 'us')).toBe('priority+fast+us');
    // OpenAI's `fast` is priority: not named twice.
    expect(rowTier('fast', 'fast', undefined)).toBe('fast');
    expect(rowTier(undefined, undefined, 'eu')).toBeNull();
  });

  it('gives the pricer back the modifiers a tier was made of', () => {
    expect(tierModifiers(null)).toEqual({ serviceTier: undefined, speed: undefined, inferenceGeo: undefined });
    expect(tierModifiers(undefined)).toEqual({ serviceTier: undefined, speed: undefined, inferenceGeo: undefined });
    expect(tierModifiers('flex')).toEqual({ serviceTier: 'flex', speed: undefined, inferenceGeo: undefined });
    expect(tierModifiers('batch+us')).toEqual({ serviceTier: 'batch', speed: undefined, inferenceGeo: 'us' });
    expect(tierModifiers('fast')).toEqual({ serviceTier: 'fast', speed: 'fast', inferenceGeo: undefined });
    for (const t of ['priority+fast+us', 'us', 'scale']) {
      const m = tierModifiers(t);
      expect(rowTier(m.serviceTier, m.speed, m.inferenceGeo)).toBe(t);
    }
  });
});
