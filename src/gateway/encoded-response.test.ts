import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Metered, ResponseTap } from '../providers/types.js';
import { decodingTap, responseCodings } from './encoded-response.js';

/** A tap that records the text it reads. */
function reader(): ResponseTap & { text: string } {
  const r = {
    text: '',
    push(chunk: Buffer) {
      r.text += chunk.toString();
    },
    finish: () => ({}) as Metered,
    usageSoFar: () => ({ inputTokens: r.text.length }) as never,
    outputSoFar: () => r.text.length,
  };
  return r;
}

describe('responseCodings', () => {
  it('lists the codings to undo, and none for identity or one it cannot undo', () => {
    expect(responseCodings('gzip')).toEqual(['gzip']);
    expect(responseCodings(['deflate', 'BR'])).toEqual(['deflate', 'br']);
    expect(responseCodings('identity')).toBeNull();
    expect(responseCodings(undefined)).toBeNull();
    expect(responseCodings('gzip, compress')).toBeNull();
  });
});

describe('decodingTap', () => {
  const body = Buffer.from('event: message_start\ndata: {"a":1}\n\n'.repeat(50));
  const gz = gzipSync(body);

  it('passes the compressed bytes on unchanged and reads them decoded', () => {
    const inner = reader();
    const tap = decodingTap(inner, ['gzip']);
    const out: Buffer[] = [];
    for (let i = 0; i < gz.length; i += 7) tap.push(gz.subarray(i, i + 7), (b) => out.push(b));
    tap.finish(true, () => undefined);
    expect(Buffer.concat(out).equals(gz)).toBe(true);
    expect(inner.text).toBe(body.toString());
  });

  it('reads what a cut stream carried, and the usage so far mid-stream, without reading anything twice', () => {
    const inner = reader();
    const tap = decodingTap(inner, ['gzip']);
    const half = Math.floor(gz.length / 2);
    tap.push(gz.subarray(0, half), () => undefined);
    const early = tap.usageSoFar!()?.inputTokens ?? 0;
    expect(early).toBeGreaterThan(0);
    tap.push(gz.subarray(half, gz.length - 10), () => undefined);
    // The output so far is read after the bytes pushed since, as the usage is.
    expect(tap.outputSoFar!()).toBeGreaterThan(early);
    const sofar = inner.text;
    expect(body.toString().startsWith(sofar)).toBe(true);
    tap.finish(false, () => undefined);
    expect(body.toString().startsWith(inner.text)).toBe(true);
    expect(inner.text.length).toBeGreaterThanOrEqual(sofar.length);
  });

  it('reads nothing of bytes that are not the coding they claim', () => {
    const inner = reader();
    const tap = decodingTap(inner, ['gzip']);
    tap.push(Buffer.from('not gzip at all'), () => undefined);
    tap.finish(true, () => undefined);
    expect(inner.text).toBe('');
  });
});
