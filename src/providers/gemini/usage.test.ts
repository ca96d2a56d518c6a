import { describe, expect, it } from 'vitest';
import { zeroUsage } from '../../core/usage.js';
import { geminiUsage } from './usage.js';

describe('Gemini usage mapping', () => {
  it('counts tool-use prompt tokens as input and thoughts as output', () => {
    expect(
      geminiUsage({ promptTokenCount: 1000, toolUsePromptTokenCount: 50, cachedContentTokenCount: 600, candidatesTokenCount: 20, thoughtsTokenCount: 80, totalTokenCount: 1150 }),
    ).toEqual({ ...zeroUsage(), inputTokens: 1050, cacheReadTokens: 600, outputTokens: 100, reasoningTokens: 80 });
  });

  it('treats absent counts as zero (early stream chunks have no candidatesTokenCount)', () => {
    expect(geminiUsage({ promptTokenCount: 9, totalTokenCount: 9 })).toEqual({ ...zeroUsage(), inputTokens: 9 });
  });
});
