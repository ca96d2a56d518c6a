import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Api, Dialect } from '../core/api.js';
import { anthropicAdapter } from '../providers/anthropic/adapter.js';
import { geminiAdapter } from '../providers/gemini/adapter.js';
import { openaiAdapter } from '../providers/openai/adapter.js';
import { fixtures, splitAt } from '../providers/testing/tap-runner.js';
import type { DialectAdapter, TapContext } from '../providers/types.js';
import { HeldOpening, OPENING_MAX_BYTES } from './held-opening.js';

const sse: TapContext = { status: 200, contentType: 'text/event-stream', stream: true, injectedStreamUsage: false, requestedModel: 'm' };
const ADAPTERS: Record<Dialect, DialectAdapter> = { openai: openaiAdapter, anthropic: anthropicAdapter, gemini: geminiAdapter };
const openaiFixture = fixtures(new URL('../providers/openai/', import.meta.url).href);
const anthropicFixture = fixtures(new URL('../providers/anthropic/', import.meta.url).href);
const geminiFixture = fixtures(new URL('../providers/gemini/', import.meta.url).href);

interface Verdict {
  /** `error <type>`: a failure before the output (retried if it may be); `output`: passed on; `undecided`: passed on, unread past the bound. */
  verdict: string;
  /** The bytes held when it was decided, as they came. */
  held: Buffer;
}

/** Holds `chunks` as the relay does, until the opening decides or the stream ends. */
function decide(api: Api, chunks: readonly Buffer[]): Verdict {
  const dialect = api.split('.')[0] as Dialect;
  const adapter = ADAPTERS[dialect];
  const route = { api, dialect, method: 'POST' } as const;
  const o = new HeldOpening(adapter.createTap(route, sse), adapter.streamPreamble?.(route) ?? new Set());
  let stopped = false;
  for (const c of chunks) {
    if (o.push(Buffer.from(c))) {
      stopped = true;
      break;
    }
  }
  if (!stopped) o.end();
  const m = o.read();
  return { verdict: m === undefined ? 'undecided' : m.error ? `error ${m.error.type}` : 'output', held: Buffer.concat(o.chunks) };
}

const named = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const response = (status: string, extra: Record<string, unknown> = {}) => ({ id: 'resp_1', object: 'response', status, model: 'gpt-5', output: [], usage: null, ...extra });
const created = named('response.created', { sequence_number: 0, response: response('in_progress') });
const inProgress = named('response.in_progress', { sequence_number: 1, response: response('in_progress') });
const failed = (code: string) => named('response.failed', { sequence_number: 2, response: response('failed', { error: { code, message: 'm' }, usage: { input_tokens: 9, output_tokens: 0, total_tokens: 9 } }) });
const errorEvent = named('error', { code: 'server_error', message: 'm', param: null, sequence_number: 2 });
const itemAdded = named('response.output_item.added', { sequence_number: 2, output_index: 0, item: { id: 'msg_1', type: 'message', status: 'in_progress', content: [], role: 'assistant' } });
const messageStart = named('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', content: [], usage: { input_tokens: 20, output_tokens: 1 } } });
const ping = 'event: ping\ndata: {"type": "ping"}\n\n';
const overloaded = named('error', { error: { type: 'overloaded_error', message: 'Overloaded' } });
const blockStart = named('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
const b = (...parts: string[]) => Buffer.from(parts.join(''));

/** Streams and the verdict on each, whole. */
const CASES: { name: string; api: Api; bytes: Buffer; verdict: string }[] = [
  { name: 'Responses: created, then failed', api: 'openai.responses', bytes: b(created, failed('server_error')), verdict: 'error server_error' },
  { name: 'Responses: created, in_progress, then failed at a rate limit', api: 'openai.responses', bytes: b(created, inProgress, failed('rate_limit_exceeded')), verdict: 'error rate_limit_exceeded' },
  { name: 'Responses: created, then an error event', api: 'openai.responses', bytes: b(created, errorEvent), verdict: 'error server_error' },
  { name: 'Responses: queued and in_progress, with comments, then an error event', api: 'openai.responses', bytes: b(': hi\n\n', created, named('response.queued', { response: response('queued') }), inProgress, errorEvent), verdict: 'error server_error' },
  { name: 'Responses: unnamed events (the type in the data only)', api: 'openai.responses', bytes: b(created.replace('event: response.created\n', ''), errorEvent.replace('event: error\n', '')), verdict: 'error server_error' },
  { name: 'Responses: created, then an error event (fixture)', api: 'openai.responses', bytes: openaiFixture('responses-stream-error.sse'), verdict: 'error rate_limit_exceeded' },
  { name: 'Responses: failed after its output began (fixture)', api: 'openai.responses', bytes: openaiFixture('responses-stream-failed.sse'), verdict: 'output' },
  { name: 'Responses: a whole stream (fixture)', api: 'openai.responses', bytes: openaiFixture('responses-stream.sse'), verdict: 'output' },
  { name: 'Responses: an output item, then failed', api: 'openai.responses', bytes: b(created, inProgress, itemAdded, failed('server_error')), verdict: 'output' },
  { name: 'Responses: created, then the stream ends', api: 'openai.responses', bytes: b(created, inProgress), verdict: 'undecided' },
  { name: 'a stored Response streamed again', api: 'openai.responses_lookup', bytes: b(created, failed('server_error')), verdict: 'error server_error' },
  { name: 'Messages: message_start, then overloaded', api: 'anthropic.messages', bytes: b(messageStart, overloaded), verdict: 'error overloaded_error' },
  { name: 'Messages: message_start and pings, then overloaded', api: 'anthropic.messages', bytes: b(messageStart, ping, ping, overloaded), verdict: 'error overloaded_error' },
  { name: 'Messages: overloaded first', api: 'anthropic.messages', bytes: b(overloaded), verdict: 'error overloaded_error' },
  { name: 'Messages: CR-framed', api: 'anthropic.messages', bytes: b(messageStart.replace(/\n/g, '\r'), overloaded.replace(/\n/g, '\r')), verdict: 'error overloaded_error' },
  { name: 'Messages: a content block, then overloaded', api: 'anthropic.messages', bytes: b(messageStart, blockStart, overloaded), verdict: 'output' },
  { name: 'Messages: overloaded after its output began (fixture)', api: 'anthropic.messages', bytes: anthropicFixture('message-stream-overloaded.sse'), verdict: 'output' },
  { name: 'Chat: an error chunk first', api: 'openai.chat', bytes: b('data: {"error":{"message":"m","type":"server_error","param":null,"code":null}}\n\n'), verdict: 'error server_error' },
  { name: 'Chat: a first chunk, then an error (fixture)', api: 'openai.chat', bytes: openaiFixture('chat-stream-error.sse'), verdict: 'output' },
  { name: 'Gemini: an error chunk first', api: 'gemini.generate', bytes: b('data: {"error": {"code": 503, "message": "m", "status": "UNAVAILABLE"}}\r\n\r\n'), verdict: 'error UNAVAILABLE' },
  { name: 'Gemini: a first chunk, then an error (fixture)', api: 'gemini.generate', bytes: geminiFixture('stream-error.sse'), verdict: 'output' },
];

/** A Messages stream whose error event ends at `end`, after a padded message_start, framed with `eol`. */
function nearBound(end: number, eol: string): Buffer {
  const tail = overloaded.replace(/\n/g, eol);
  const head = (pad: string) => named('message_start', { message: { id: 'msg_1', content: [], usage: { input_tokens: 1 } }, pad }).replace(/\n/g, eol);
  const pad = 'x'.repeat(end - tail.length - Buffer.byteLength(head('')));
  return Buffer.from(head(pad) + tail);
}

describe('holding a stream until its output begins', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.verdict}`, () => {
      const got = decide(c.api, [c.bytes]);
      expect(got.verdict).toBe(c.verdict);
      expect(got.held.equals(c.bytes)).toBe(true);
    });
  }

  it('counts only events that end within the first 16 KiB, LF, CR or CRLF framed', () => {
    for (const eol of ['\n', '\r', '\r\n']) {
      expect(decide('anthropic.messages', [nearBound(OPENING_MAX_BYTES, eol)]).verdict).toBe('error overloaded_error');
      expect(decide('anthropic.messages', [nearBound(OPENING_MAX_BYTES + 1, eol)]).verdict).toBe('undecided');
    }
  });

  it('stops holding past 16 KiB without an event that decides', () => {
    const long = Buffer.from(named('message_start', { pad: 'x'.repeat(OPENING_MAX_BYTES) }));
    const o = new HeldOpening(anthropicAdapter.createTap({ api: 'anthropic.messages', dialect: 'anthropic', method: 'POST' }, sse), new Set(['message_start']));
    expect(o.push(long.subarray(0, OPENING_MAX_BYTES))).toBe(false);
    expect(o.push(long.subarray(OPENING_MAX_BYTES))).toBe(true);
    expect(o.read()).toBeUndefined();
  });
});

describe('holding a stream: how its bytes are split does not matter', () => {
  const streams: { api: Api; bytes: Buffer }[] = [...CASES.map((c) => ({ api: c.api, bytes: c.bytes })), ...[OPENING_MAX_BYTES - 1, OPENING_MAX_BYTES, OPENING_MAX_BYTES + 1, OPENING_MAX_BYTES + 40].flatMap((end) => ['\n', '\r', '\r\n'].map((eol) => ({ api: 'anthropic.messages' as const, bytes: nearBound(end, eol) })))];

  it('gives the verdict of the whole, and holds a prefix of the bytes as they came', () => {
    fc.assert(
      fc.property(fc.constantFrom(...streams), fc.option(fc.nat(), { nil: undefined }), fc.array(fc.oneof(fc.nat(), fc.integer({ min: OPENING_MAX_BYTES - 40, max: OPENING_MAX_BYTES + 40 })), { maxLength: 30 }), (s, truncateAt, cuts) => {
        const input = truncateAt === undefined ? s.bytes : s.bytes.subarray(0, truncateAt % (s.bytes.length + 1));
        const whole = decide(s.api, [input]);
        const split = decide(s.api, splitAt(input, cuts));
        expect(split.verdict).toBe(whole.verdict);
        expect(split.held.equals(input.subarray(0, split.held.length))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
