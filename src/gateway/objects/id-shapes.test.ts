import { describe, expect, it } from 'vitest';
import { kindText, readObjectId } from './id-shapes.js';

const read = (text: string, dialect?: 'openai' | 'anthropic' | 'gemini') => readObjectId(text, dialect, '--provider');

describe('the ids of stored objects, by their providers shapes', () => {
  it('knows each provider object whose owner the gateway records, and the API recorded with it', () => {
    const cases: [string, string, string][] = [
      ['file-AbC123', 'OpenAI file', 'openai.files'],
      ['vs_68a0f3', 'OpenAI vector store', 'openai.vector_stores'],
      ['cntr_abc', 'OpenAI container', 'openai.containers'],
      ['batch_1', 'OpenAI batch', 'openai.batches'],
      ['resp_0a1', 'OpenAI stored Response', 'openai.responses'],
      ['chatcmpl-x1', 'OpenAI stored chat completion', 'openai.chat'],
      ['conv_9', 'OpenAI conversation', 'openai.conversations'],
      ['msg_1', 'OpenAI item', 'openai.responses'],
      ['msgbatch_01abc', 'Anthropic Message Batch', 'anthropic.batches'],
      ['file_011abc', 'Anthropic file', 'anthropic.files'],
      ['container_011', 'Anthropic container', 'anthropic.messages'],
      ['cachedContents/abc123', 'Gemini cached content', 'gemini.caches'],
      ['files/report-1', 'Gemini file', 'gemini.files'],
      ['batches/xyz', 'Gemini batch', 'gemini.batches'],
    ];
    for (const [id, kind, api] of cases) {
      const r = read(id);
      expect(r.id, id).toBe(id);
      expect(kindText(r.kind), id).toBe(kind);
      expect(r.kind.api, id).toBe(api);
    }
  });

  it('reads a Gemini interaction, whose id has no shape of its own, named as its resource: recorded as the id alone', () => {
    const r = read('interactions/v1_ChdXS0Fh-x.1', 'gemini');
    expect(r).toEqual({ id: 'v1_ChdXS0Fh-x.1', kind: { dialect: 'gemini', noun: 'interaction', api: 'gemini.interactions' } });
    expect(read(' interactions/abc ').id).toBe('abc');
    expect(() => read('interactions/abc', 'openai')).toThrow('"interactions/abc" is a Gemini interaction\'s id, not an OpenAI object\'s (--provider)');
    for (const bad of ['interactions/', 'interactions/a/b', 'interactions/a b']) expect(() => read(bad), bad).toThrow(RangeError);
  });

  it('reads a Gemini file URI as its name, and trims what was pasted around an id', () => {
    expect(read('https://generativelanguage.googleapis.com/v1beta/files/abc-1').id).toBe('files/abc-1');
    expect(read('  vs_1\n').id).toBe('vs_1');
  });

  it('asks whose a skill is, both OpenAI and Anthropic using its shape, and takes the provider said', () => {
    expect(() => read('skill_01x')).toThrow(new RangeError('"skill_01x" may be an OpenAI skill\'s id or an Anthropic skill\'s id: say whose with --provider'));
    expect(read('skill_01x', 'anthropic').kind.api).toBe('anthropic.skills');
    expect(read('skill_01x', 'openai').kind.api).toBe('openai.skills');
  });

  it('refuses an id of no known shape, of another provider than the one said, or with characters no id has, saying which', () => {
    expect(() => read('')).toThrow('an object id must not be empty');
    expect(() => read('vs-1')).toThrow(/^"vs-1" is not the id of an object whose owner Tollgate records: file-, batch_, .* \(OpenAI\); msgbatch_, .* \(Anthropic\); cachedContents\/, files\/, batches\/, interactions\/ \(Gemini\)$/);
    expect(() => read('file-1', 'gemini')).toThrow('"file-1" is an OpenAI file\'s id, not a Gemini object\'s (--provider)');
    expect(() => read('files/a', 'anthropic')).toThrow('"files/a" is a Gemini file\'s id, not an Anthropic object\'s (--provider)');
    for (const bad of ['vs_', 'vs_a b', 'files/a/b', 'file-x\u0000', `vs_${'a'.repeat(300)}`, 'https://example.com/files/a']) expect(() => read(bad), bad).toThrow(RangeError);
  });
});
