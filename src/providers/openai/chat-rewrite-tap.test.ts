import { describe, expect, it } from 'vitest';
import { parseSse } from '../../sse/parser.js';
import { everyNBytes, fixtures, runTap } from '../testing/tap-runner.js';
import type { RouteMatch, TapContext } from '../types.js';
import { openaiAdapter } from './adapter.js';

const fixture = fixtures(import.meta.url);
const chat: RouteMatch = { api: 'openai.chat', dialect: 'openai', method: 'POST' };
const injected: TapContext = { status: 200, contentType: 'text/event-stream', stream: true, injectedStreamUsage: true, requestedModel: 'gpt-5.6-sol' };
const rewrite = (chunks: Buffer[], complete = true) => runTap(openaiAdapter.createTap(chat, injected), chunks, complete);

describe('OpenAI chat rewrite tap (usage injected by the gateway)', () => {
  it('turns the upstream stream WITH include_usage into exactly the bytes WITHOUT it', () => {
    const upstream = fixture('chat-stream-usage.sse');
    for (const size of [1, 7, 64, upstream.length]) {
      const run = rewrite(everyNBytes(upstream, size));
      expect(run.bytes.toString()).toBe(fixture('chat-stream.sse').toString());
      expect(run.bytes.equals(fixture('chat-stream.sse'))).toBe(true);
      expect(run.metered).toEqual({
        usage: { inputTokens: 2048, cacheReadTokens: 1024, cacheWriteTokens: 512, cacheWrite1hTokens: 0, outputTokens: 187, reasoningTokens: 64, toolCalls: 2 },
        usageSource: 'final',
        servedModel: 'gpt-5.6-sol-2026-09-30',
        error: undefined,
        sawEnd: true,
        serviceTier: 'default',
        responseId: 'chatcmpl-DA41f9sQx2',
      });
    }
  });

  it('edits a chunk of whole events in place, inside the chunk only', () => {
    // A chunk is a view into the socket's read buffer: the bytes around it are not the tap's.
    const upstream = fixture('chat-stream-usage.sse');
    // The first event goes through the event parser (a stream may open with a byte-order mark); the rest takes the whole-events path.
    const firstEnd = upstream.indexOf('\n\n') + 2;
    const rest = upstream.subarray(firstEnd);
    const around = Buffer.concat([Buffer.from('HEAD'), rest, Buffer.from('TAIL')]);
    const out: Buffer[] = [];
    const tap = openaiAdapter.createTap(chat, injected);
    tap.push(Buffer.from(upstream.subarray(0, firstEnd)), (b) => out.push(Buffer.from(b)));
    tap.push(around.subarray(4, 4 + rest.length), (b) => out.push(Buffer.from(b)));
    tap.finish(true, (b) => out.push(Buffer.from(b)));
    expect(Buffer.concat(out).equals(fixture('chat-stream.sse'))).toBe(true);
    expect(around.subarray(0, 4).toString()).toBe('HEAD');
    expect(around.subarray(around.length - 4).toString()).toBe('TAIL');
  });

  it('emits whole events only, each as soon as it is complete', () => {
    const run = rewrite(everyNBytes(fixture('chat-stream-usage.sse'), 33));
    const expected = parseSse(fixture('chat-stream.sse')).map((e) => e.raw.toString());
    // Every event is longer than 33 bytes, so each push completes one at most, and sends it then.
    const sent = run.pushes.filter((b) => b.length > 0).map((b) => b.toString());
    expect(sent).toEqual(expected);
  });

  it('emits a cut-off trailing event unchanged when the body ends', () => {
    const upstream = fixture('chat-stream-usage.sse');
    const cutAt = upstream.indexOf('"Zr"}') + 2;
    const run = rewrite([upstream.subarray(0, cutAt)], false);
    const events = parseSse(fixture('chat-stream.sse')).map((e) => e.raw);
    const partial = upstream.subarray(upstream.lastIndexOf('data: ', cutAt), cutAt);
    expect(run.bytes.equals(Buffer.concat([events[0]!, events[1]!, partial]))).toBe(true);
    expect(run.metered).toMatchObject({ usageSource: 'none', sawEnd: false });
  });

  it('cuts "usage":null before an obfuscation member, also when another line follows the data line', () => {
    const head = '{"id":"c1","model":"gpt-5","choices":[{"index":0,"delta":{"content":"é"},"finish_reason":null}]';
    const upstream = Buffer.from(
      `data: ${head},"usage":null,"obfuscation":"Ab3"}\n\n` + `data: ${head},"usage":null,"obfuscation":"x9"}\nid: 7\n\n` + 'data: [DONE]\n\n',
    );
    const expected = `data: ${head},"obfuscation":"Ab3"}\n\n` + `data: ${head},"obfuscation":"x9"}\nid: 7\n\n` + 'data: [DONE]\n\n';
    // Whole, in pieces ending mid-event, and one event per chunk (the one-pass path).
    for (const chunks of [[upstream], everyNBytes(upstream, 9), parseSse(upstream).map((e) => e.raw)]) expect(rewrite(chunks).bytes.toString()).toBe(expected);
  });

  it('cuts "usage":null from JSON split over several data lines (valid SSE), LF or CRLF, however the bytes are split', () => {
    for (const nl of ['\n', '\r\n']) {
      const event = (usage: string) => `data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o",${nl}data: "choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]${usage}}${nl}${nl}`;
      const upstream = Buffer.from(event(',"usage":null') + event(',"usage":null') + `data: [DONE]${nl}${nl}`);
      const expected = event('') + event('') + `data: [DONE]${nl}${nl}`;
      for (const chunks of [[upstream], everyNBytes(upstream, 3), everyNBytes(upstream, 5), parseSse(upstream).map((e) => e.raw)]) expect(rewrite(chunks).bytes.toString()).toBe(expected);
    }
  });

  it('passes an error event and comments through untouched', () => {
    const upstream = Buffer.from(': keep-alive\n\n' + fixture('chat-stream-error.sse').toString());
    const run = rewrite([upstream]);
    expect(run.bytes.toString()).toBe(upstream.toString().replaceAll(',"usage":null', ''));
    expect(run.metered.error?.type).toBe('server_error');
  });

  it('handles spaced JSON and CRLF framing from other servers', () => {
    const upstream = Buffer.from(
      'data: {"usage": null, "id": "c1", "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": null}], "model": "llama-4"}\r\n\r\n' +
        'data: {"id": "c1", "choices": [], "model": "llama-4", "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}\r\n\r\n' +
        'data: [DONE]\r\n\r\n',
    );
    const run = rewrite(everyNBytes(upstream, 5));
    expect(run.bytes.toString()).toBe(
      'data: {"id": "c1", "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": null}], "model": "llama-4"}\r\n\r\n' + 'data: [DONE]\r\n\r\n',
    );
    expect(run.metered.usage).toMatchObject({ inputTokens: 5, outputTokens: 1 });
  });

  it('keeps chunks that carry real usage next to choices (servers that repeat usage)', () => {
    const upstream = fixture('chat-stream-gemini-compat.sse');
    expect(rewrite([upstream]).bytes.equals(upstream)).toBe(true);
  });
});
