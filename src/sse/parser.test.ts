import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SseEvent, SseParser, parseSse } from './parser.js';

function collect(chunks: Buffer[], maxEventBytes?: number) {
  const p = new SseParser(maxEventBytes === undefined ? {} : { maxEventBytes });
  const raws: Buffer[] = [];
  const events: (SseEvent | null)[] = [];
  const on = (raw: Buffer, ev: SseEvent | null) => {
    raws.push(raw);
    events.push(ev);
  };
  for (const c of chunks) p.push(c, on);
  p.end(on);
  return { raw: Buffer.concat(raws), events: events.filter((e): e is SseEvent => e !== null) };
}

function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

describe('SseParser', () => {
  it('parses OpenAI chat framing (data only, [DONE])', () => {
    const events = parseSse(Buffer.from('data: {"a":1}\n\ndata: [DONE]\n\n')).map((e) => e.event);
    expect(events).toEqual([
      { event: undefined, data: '{"a":1}', id: undefined, retry: undefined },
      { event: undefined, data: '[DONE]', id: undefined, retry: undefined },
    ]);
  });

  it('parses Anthropic named events and ignores comments', () => {
    const text = ': keep-alive\n\nevent: message_start\ndata: {"type":"message_start"}\n\nevent: ping\ndata: {"type": "ping"}\n\n';
    const events = parseSse(Buffer.from(text)).map((e) => e.event);
    expect(events).toEqual([null, { event: 'message_start', data: '{"type":"message_start"}', id: undefined, retry: undefined }, { event: 'ping', data: '{"type": "ping"}', id: undefined, retry: undefined }]);
  });

  it('accepts CRLF (Gemini), CR and multi-line data', () => {
    const text = 'data: {"x":1}\r\n\r\ndata: line1\rdata: line2\r\rid: 7\nretry: 100\ndata:no-space\n\n';
    const events = parseSse(Buffer.from(text)).flatMap((e) => (e.event ? [e.event] : []));
    expect(events).toEqual([
      { event: undefined, data: '{"x":1}', id: undefined, retry: undefined },
      { event: undefined, data: 'line1\nline2', id: undefined, retry: undefined },
      { event: undefined, data: 'no-space', id: '7', retry: 100 },
    ]);
  });

  it('keeps a CRLF split across chunks inside the same event', () => {
    const p = new SseParser();
    const raws: string[] = [];
    const on = (raw: Buffer) => raws.push(raw.toString());
    p.push(Buffer.from('data: a\r\n\r'), on);
    expect(raws).toEqual([]);
    p.push(Buffer.from('\ndata: b\r\n\r\n'), on);
    p.end(on);
    expect(raws).toEqual(['data: a\r\n\r\n', 'data: b\r\n\r\n']);
  });

  it('keeps a CRLF split across chunks inside the same event when an empty chunk comes between', () => {
    const p = new SseParser();
    const raws: string[] = [];
    const on = (raw: Buffer) => raws.push(raw.toString());
    p.push(Buffer.from('data: a\r\n\r'), on);
    p.push(Buffer.alloc(0), on);
    expect(raws).toEqual([]);
    p.push(Buffer.from('\ndata: b\r\n\r\n'), on);
    p.end(on);
    expect(raws).toEqual(['data: a\r\n\r\n', 'data: b\r\n\r\n']);
  });

  it('hands back an incomplete trailing event as raw bytes without dispatching it', () => {
    const out = parseSse(Buffer.from('data: 1\n\ndata: cut-off'));
    expect(out.map((o) => o.raw.toString())).toEqual(['data: 1\n\n', 'data: cut-off']);
    expect(out[1]!.event).toBeNull();
  });

  it('strips a leading BOM from the first event only', () => {
    const out = parseSse(Buffer.from('\uFEFFdata: x\n\n'));
    expect(out[0]!.event?.data).toBe('x');
    expect(out[0]!.raw.toString()).toBe('\uFEFFdata: x\n\n');
  });

  it('passes an oversized event through unparsed and recovers at the next one', () => {
    const big = 'data: ' + 'x'.repeat(200) + '\n\n';
    const text = big + 'data: small\n\n';
    const chunks = splitAt(Buffer.from(text), [10, 50, 120, 205]);
    const { raw, events } = collect(chunks, 64);
    expect(raw.toString()).toBe(text);
    expect(events.map((e) => e.data)).toEqual(['small']);
  });

  // Property: however the bytes are split, the events are the same, and the raw
  // slices concatenate back to the exact input.
  const eol = fc.constantFrom('\n', '\r\n', '\r');
  const safeText = fc.string({ maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, ' '));
  const eventArb = fc.record({
    event: fc.option(fc.constantFrom('message_start', 'content_block_delta', 'error', 'response.completed'), { nil: undefined }),
    lines: fc.array(safeText, { minLength: 1, maxLength: 3 }),
    comment: fc.boolean(),
    eol,
  });

  it('gives the same events however the stream is chunked', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (evs, cuts) => {
        const text = evs
          .map((e) => {
            let block = e.comment ? `: c${e.eol}` : '';
            if (e.event) block += `event: ${e.event}${e.eol}`;
            for (const l of e.lines) block += `data: ${l}${e.eol}`;
            return block + e.eol;
          })
          .join('');
        const bytes = Buffer.from(text);
        const whole = collect([bytes]);
        const split = collect(splitAt(bytes, cuts));
        expect(split.raw.equals(bytes)).toBe(true);
        expect(split.events).toEqual(whole.events);
        expect(whole.events.map((e) => e.data)).toEqual(evs.map((e) => e.lines.join('\n')));
      }),
      { numRuns: 500 },
    );
  });

  it('survives arbitrary bytes split arbitrarily, returning every byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 10 }), (arr, cuts) => {
        const bytes = Buffer.from(arr);
        const a = collect([bytes], 50);
        const b = collect(splitAt(bytes, cuts), 50);
        expect(b.raw.equals(bytes)).toBe(true);
        expect(a.raw.equals(bytes)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
