import { describe, expect, it } from 'vitest';
import { geoMultiplier, speedMultiplier, tierMultiplier } from './modifiers.js';

describe('price modifiers (protocols.md §3.10, §6)', () => {
  it('service tiers, OpenAI ultrafast 3x until 2027-02-28 and 6x after', () => {
    expect(tierMultiplier('openai', 'flex')).toBe('0.5');
    expect(tierMultiplier('openai', 'Priority')).toBe('2');
    // As docs/pricing.md says: an answer reporting `fast` (the request-side name of priority) is billed as priority.
    expect(tierMultiplier('openai', 'fast')).toBe('2');
    expect(tierMultiplier('anthropic', 'batch')).toBe('0.5');
    expect(tierMultiplier('openai', 'ultrafast', new Date('2027-02-28T23:59:59Z'))).toBe('3');
    expect(tierMultiplier('openai', 'ultrafast', new Date('2027-03-01T00:00:00Z'))).toBe('6');
    expect(tierMultiplier('openai', 'default')).toBeUndefined();
    // Gemini priority: 1.8x where the catalog notes it (3.7 and 3.8 Flash), standard on a model no source prices it for.
    expect(tierMultiplier('google', 'ON_DEMAND_PRIORITY')).toBeUndefined();
    expect(tierMultiplier('google', 'ON_DEMAND_PRIORITY', undefined, 'gemini-3.8-flash')).toBe('1.8');
    expect(tierMultiplier('gemini', 'priority', undefined, 'gemini-3.7-flash-preview-11-2026')).toBe('1.8');
    expect(tierMultiplier('google', 'SERVICE_TIER_PRIORITY', undefined, 'models/gemini-3.7-flash')).toBe('1.8');
    expect(tierMultiplier('google', 'priority', undefined, 'gemini-2.5-pro')).toBeUndefined();
    expect(tierMultiplier('google', 'standard', undefined, 'gemini-3.8-flash')).toBeUndefined();
    expect(tierMultiplier('openai', 'priority', undefined, 'gemini-3.8-flash')).toBe('2');
    // Gemini Flex, which the Gemini API reports in serviceTier: half price where the catalog notes it, standard elsewhere.
    expect(tierMultiplier('google', 'flex', undefined, 'gemini-3.8-flash')).toBe('0.5');
    expect(tierMultiplier('gemini', 'flex', undefined, 'models/gemini-3.5-flash-lite')).toBe('0.5');
    expect(tierMultiplier('google', 'flex', undefined, 'gemini-2.5-pro')).toBeUndefined();
    expect(tierMultiplier('google', 'ON_DEMAND_FLEX', undefined, 'gemini-3.8-flash')).toBeUndefined();
    // Gemini's Batch API is half price (§6.3), under the catalog's id and its alias.
    expect(tierMultiplier('google', 'batch')).toBe('0.5');
    expect(tierMultiplier('gemini', 'batch')).toBe('0.5');
    expect(tierMultiplier(undefined, 'flex')).toBeUndefined();
  });

  it('Anthropic fast mode: the published premium, or unknown (null) on another model', () => {
    expect(speedMultiplier('anthropic', 'claude-opus-5-5', 'fast')).toBe('2');
    expect(speedMultiplier('anthropic', 'claude-opus-4-8-20260301', 'fast')).toBe('2');
    expect(speedMultiplier('anthropic', 'claude-opus-4-6', 'fast')).toBe('6');
    expect(speedMultiplier('anthropic', 'claude-opus-4-7', 'fast')).toBeNull();
    expect(speedMultiplier('anthropic', 'claude-opus-5-5', 'standard')).toBeUndefined();
    expect(speedMultiplier('anthropic', 'claude-opus-5-5', undefined)).toBeUndefined();
    expect(speedMultiplier('openai', 'gpt-5', 'fast')).toBeUndefined();
    const configured = (model: string) => (model.startsWith('claude-opus-4-7') ? '6' : undefined);
    expect(speedMultiplier('anthropic', 'claude-opus-4-7', 'fast', configured)).toBe('6');
    expect(speedMultiplier('anthropic', 'claude-opus-5-5', 'fast', configured)).toBe('2');
    expect(speedMultiplier('anthropic', 'claude-opus-4-7', 'standard', configured)).toBeUndefined();
  });

  it('inference_geo "us": 1.1x on Opus 4.6 and later only', () => {
    for (const model of ['claude-opus-4-6', 'claude-opus-4-7-20260101', 'claude-opus-4-8', 'claude-opus-5', 'claude-opus-5-5', 'claude-opus-4-10', 'claude-opus-6-20270101']) expect(geoMultiplier('anthropic', model, 'us'), model).toBe('1.1');
    for (const model of ['claude-opus-4-5', 'claude-opus-4-1-20250805', 'claude-opus-4-20250514', 'claude-sonnet-5-5', 'claude-haiku-4-5']) expect(geoMultiplier('anthropic', model, 'US'), model).toBeUndefined();
    expect(geoMultiplier('anthropic', 'claude-opus-5-5', 'global')).toBeUndefined();
    expect(geoMultiplier('anthropic', 'claude-opus-5-5', undefined)).toBeUndefined();
  });
});
