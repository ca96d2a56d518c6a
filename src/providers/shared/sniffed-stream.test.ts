import { describe, expect, it } from 'vitest';
import { fixtures, runTap, everyNBytes } from '../testing/tap-runner.js';
import type { RouteMatch, TapContext } from '../types.js';
import { openaiAdapter } from '../openai/adapter.js';
import { anthropicAdapter } from '../anthropic/adapter.js';

const openaiFixture = fixtures(new URL('../openai/x', import.meta.url).href);
const anthropicFixture = fixtures(new URL('../anthropic/x', import.meta.url).href);
const chat: RouteMatch = { api: 'openai.chat', dialect: 'openai', method: 'POST' };
const messages: RouteMatch = { api: 'anthropic.messages', dialect: 'anthropic', method: 'POST' };
const plain = (stream: boolean): TapContext => ({ status: 200, contentType: 'text/plain', stream, injectedStreamUsage: false, requestedModel: 'm' });

describe('a streamed answer labelled as something else than events', () => {
  it('is read as events when its first byte is not JSON, however it is split and whatever white space opens it', () => {
    const body = Buffer.concat([Buffer.from('\r\n \n'), openaiFixture('chat-stream-usage.sse')]);
    for (const size of [1, 3, 64]) {
      const run = runTap(openaiAdapter.createTap(chat, plain(true)), everyNBytes(body, size));
      expect(run.bytes.equals(body)).toBe(true);
      expect(run.metered).toMatchObject({ usageSource: 'final', sawEnd: true, usage: { inputTokens: 2048, outputTokens: 187 } });
    }
    const anthropic = anthropicFixture('message-stream.sse');
    expect(runTap(anthropicAdapter.createTap(messages, plain(true)), everyNBytes(anthropic, 7)).metered).toMatchObject({ usageSource: 'final', sawEnd: true });
  });

  it('is read as a body when it opens with JSON, and so is an answer to a request that did not stream', () => {
    const json = openaiFixture('chat.json');
    for (const stream of [true, false]) expect(runTap(openaiAdapter.createTap(chat, plain(stream)), everyNBytes(json, 5)).metered).toMatchObject({ usageSource: 'final' });
  });

  it('emits white space it held when the body ends with nothing else', () => {
    const run = runTap(openaiAdapter.createTap(chat, plain(true)), [Buffer.from('\n'), Buffer.from(' ')]);
    expect(run.bytes.toString()).toBe('\n ');
    expect(run.metered.usageSource).toBe('none');
  });
});
