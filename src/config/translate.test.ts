import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';
import { configFile as file, configIssues as issues } from './testing.js';

describe('providers[].translate_from', () => {
  it('is read onto the provider', () => {
    const c = loadConfig({
      file: file(`providers:
  - name: local-qwen
    dialect: openai
    base_url: http://127.0.0.1:8000
    models: ["qwen*"]
    translate_from: [anthropic]
  - name: anthropic
    dialect: anthropic
    base_url: https://api.anthropic.com
`),
      env: {},
    });
    expect(c.providers[0]).toMatchObject({ name: 'local-qwen', translateFrom: ['anthropic'] });
    expect(c.providers[1]).not.toHaveProperty('translateFrom');
  });

  it('names each bad value, with its line', () => {
    expect(
      issues(`providers:
  - name: a
    dialect: openai
    base_url: http://127.0.0.1:8000
    translate_from: [openai, anthropic, anthropic]
  - name: g
    dialect: gemini
    base_url: http://127.0.0.1:8001
    translate_from: [openai]
  - name: c
    dialect: anthropic
    base_url: http://127.0.0.1:8002
    translate_from: [gemini]
`),
    ).toEqual([
      'providers[0].translate_from[0]@5: "openai" is this provider\'s own dialect; list only the client dialect to translate from ("anthropic")',
      'providers[0].translate_from[2]@5: "anthropic" is listed twice',
      'providers[1].translate_from[0]@9: a gemini provider cannot serve other dialects; translation pairs openai and anthropic only',
      'providers[2].translate_from[0]@13: "gemini" clients cannot be translated; an anthropic provider can serve "openai" clients only',
    ]);
    expect(
      issues(`providers:
  - name: c
    dialect: anthropic
    base_url: http://127.0.0.1:8002
    translate_from: [cobol]
`),
    ).toEqual(['providers[0].translate_from[0]@5: must be one of openai, anthropic']);
  });
});
