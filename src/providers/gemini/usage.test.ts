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

  it('takes the audio part of prompt, cache and candidates from the modality details', () => {
    const meta = {
      promptTokenCount: 3_300,
      cachedContentTokenCount: 800,
      candidatesTokenCount: 100,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: 1_300 }, { modality: 'AUDIO', tokenCount: 2_000 }],
      cacheTokensDetails: [{ modality: 'AUDIO', tokenCount: 500 }, { modality: 'TEXT', tokenCount: 300 }],
      candidatesTokensDetails: [{ modality: 'AUDIO', tokenCount: 60 }],
      toolUsePromptTokensDetails: [{ modality: 'AUDIO', tokenCount: 0 }],
    };
    expect(geminiUsage(meta)).toEqual({ ...zeroUsage(), inputTokens: 3_300, cacheReadTokens: 800, outputTokens: 100, audio: { input: 2_000, cacheRead: 500, output: 60 } });
  });

  it('has no audio part when the details name none, or are not lists', () => {
    expect(geminiUsage({ promptTokenCount: 5, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 5 }] }).audio).toBeUndefined();
    expect(geminiUsage({ promptTokenCount: 5, promptTokensDetails: { modality: 'AUDIO', tokenCount: 5 }, cacheTokensDetails: [null, 'x'] }).audio).toBeUndefined();
  });
});
