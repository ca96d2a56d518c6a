import { describe, expect, it } from 'vitest';
import { asksForAudio } from './audio-output.js';

describe('audio output a request asks for', () => {
  it('is what its output modalities say (OpenAI modalities, Gemini responseModalities), whatever the model', () => {
    expect(asksForAudio({ modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'wav' } }, 'gpt-4o')).toBe(true);
    expect(asksForAudio({ modalities: ['text'] }, 'gpt-audio')).toBe(false);
    expect(asksForAudio({ generationConfig: { responseModalities: ['AUDIO'] } }, 'gemini-2.5-flash')).toBe(true);
    expect(asksForAudio({ generation_config: { response_modalities: ['TEXT'] } }, 'gemini-2.5-flash-preview-tts')).toBe(false);
  });

  it('is audio when they say nothing and the model answers in audio: audio chat, speech and TTS models', () => {
    for (const model of ['gpt-audio', 'gpt-audio-mini', 'gpt-4o-audio-preview', 'gpt-4o-mini-tts', 'tts-1', 'gemini-2.5-flash-preview-tts', 'gemini-2.5-flash-native-audio-preview-09-2025']) {
      expect(asksForAudio({ input: 'Hello', voice: 'alloy' }, model)).toBe(true);
    }
    for (const model of ['gpt-4o', 'gpt-4o-transcribe', 'gemini-2.5-flash', 'claude-sonnet-4-5', 'audiobook-writer']) expect(asksForAudio({ messages: [] }, model)).toBe(false);
  });
});
