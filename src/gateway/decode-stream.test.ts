import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeStream } from './decode-stream.js';

const TEXT = 'data: {"x":1}\n\ndata: {"x":2}\n\n';
/** TEXT as the zstd command line compresses it (Node 20's zlib cannot). */
const ZSTD = Buffer.from('KLUv/QRYzQAAmGRhdGE6IHsieCI6MX0KCjJ9CgoBAGLMOmOnNl4=', 'base64');

/** Decodes `encoded` sent in pieces of `piece` bytes; resolves with what the sink heard. */
function decode(codings: string[], encoded: Buffer, o: { piece?: number; limit?: number } = {}): Promise<{ body: Buffer; chunks: number; error?: Error }> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    const d = decodeStream(codings, o.limit ?? Infinity, {
      data: (c) => parts.push(Buffer.from(c)),
      end: () => resolve({ body: Buffer.concat(parts), chunks: parts.length }),
      error: (error) => resolve({ body: Buffer.concat(parts), chunks: parts.length, error }),
    });
    const piece = o.piece ?? 7;
    for (let i = 0; i < encoded.length; i += piece) d.write(encoded.subarray(i, i + piece));
    d.end();
  });
}

describe('decodeStream', () => {
  it('decodes gzip, br, zstd and both forms of deflate sent in small pieces', async () => {
    const input = Buffer.from(TEXT);
    for (const [coding, encoded] of [
      ['gzip', gzipSync(input)],
      ['x-gzip', gzipSync(input)],
      ['br', brotliCompressSync(input)],
      ['deflate', deflateSync(input)],
      ['deflate', deflateRawSync(input)],
      ['zstd', ZSTD],
    ] as const) {
      const got = await decode([coding], encoded);
      expect(got.error, coding).toBeUndefined();
      expect(got.body.toString(), coding).toBe(TEXT);
    }
  });

  it('undoes several codings last applied first', async () => {
    const got = await decode(['gzip', 'br'], brotliCompressSync(gzipSync(TEXT)));
    expect(got.body.toString()).toBe(TEXT);
  });

  it('hands decoded chunks on before the body ends', async () => {
    const big = Buffer.alloc(1024 * 1024, 'a');
    const got = await decode(['gzip'], gzipSync(big), { piece: 64 });
    expect(got.body.equals(big)).toBe(true);
    expect(got.chunks).toBeGreaterThan(1);
  });

  it('stops one byte past its limit and ends there (a compression bomb is not decoded on)', async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    const got = await decode(['gzip'], bomb, { piece: 16 * 1024, limit: 100_000 });
    expect(got.error).toBeUndefined();
    expect(got.body.length).toBe(100_001);
  });

  it('tells the sink when the body is not what its coding says, or is cut short', async () => {
    expect((await decode(['gzip'], Buffer.from('not gzip at all'))).error).toBeInstanceOf(Error);
    const cut = gzipSync(Buffer.from(TEXT));
    expect((await decode(['gzip'], cut.subarray(0, cut.length - 6))).error).toBeInstanceOf(Error);
    expect((await decode(['zstd'], Buffer.from('not zstd at all!'))).error).toBeInstanceOf(Error);
  });

  it('tells the sink nothing once destroyed', async () => {
    let heard = 0;
    const d = decodeStream(['gzip'], Infinity, { data: () => heard++, end: () => heard++, error: () => heard++ });
    d.write(gzipSync(TEXT));
    d.destroy();
    d.end();
    await new Promise((r) => setTimeout(r, 50));
    expect(heard).toBe(0);
  });
});
