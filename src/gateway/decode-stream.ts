import { Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { Decompress } from 'fzstd';

/** Where a decoded body goes: its chunks as they are decoded, then its end or the reason it could not be decoded. */
export interface DecodedSink {
  data(chunk: Buffer): void;
  end(): void;
  error(err: Error): void;
}

export interface StreamDecoder {
  write(chunk: Buffer): void;
  /** The encoded body is complete: the sink's `end` follows once the rest is decoded. */
  end(): void;
  /** Stops handing decoded chunks to the sink until `resume` (the client reads slowly). */
  pause(): void;
  resume(): void;
  /** Nothing more is wanted (the exchange ended another way): the sink hears nothing more. */
  destroy(): void;
}

/**
 * Undoes a response's content codings (as listed, in the order applied) chunk by chunk as the
 * body arrives. zlib decodes off the event loop, so the sink hears the decoded chunks later than
 * their encoded bytes came. At most `limit` decoded bytes and one more reach it, then its end:
 * a body that inflates far past what its reader keeps (a compression bomb) is not decoded on.
 */
export function decodeStream(codings: readonly string[], limit: number, sink: DecodedSink): StreamDecoder {
  const stages = [...codings].reverse().map(stage);
  for (let i = 0; i + 1 < stages.length; i++) stages[i]!.pipe(stages[i + 1]!);
  const first = stages[0]!;
  const last = stages[stages.length - 1]!;
  let decoded = 0;
  let settled = false;
  const stop = () => {
    settled = true;
    for (const s of stages) {
      s.removeAllListeners('data');
      s.destroy();
    }
  };
  last.on('data', (chunk: Buffer) => {
    if (settled) return;
    if (decoded + chunk.length > limit) {
      sink.data(chunk.subarray(0, limit + 1 - decoded));
      stop();
      return sink.end();
    }
    decoded += chunk.length;
    sink.data(chunk);
  });
  last.on('end', () => {
    if (settled) return;
    settled = true;
    sink.end();
  });
  for (const s of stages) {
    s.on('error', (err: Error) => {
      if (settled) return;
      stop();
      sink.error(err);
    });
  }
  return {
    write(chunk) {
      if (!settled) first.write(chunk);
    },
    end() {
      if (!settled) first.end();
    },
    pause: () => void last.pause(),
    resume: () => void last.resume(),
    destroy() {
      if (!settled) stop();
    },
  };
}

function stage(coding: string): Transform {
  if (coding === 'gzip' || coding === 'x-gzip') return zlib.createGunzip();
  if (coding === 'br') return zlib.createBrotliDecompress();
  if (coding === 'deflate') return new DeflateEither();
  if (coding === 'zstd') return new Zstd();
  throw new RangeError(`no decoder for content coding ${coding}`);
}

/** RFC 9110's deflate is zlib-wrapped; some servers send it raw: the first two bytes tell which. */
class DeflateEither extends Transform {
  private inner: zlib.Inflate | zlib.InflateRaw | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (!this.inner) {
      const inner = zlibWrapped(chunk) ? zlib.createInflate() : zlib.createInflateRaw();
      inner.on('data', (d: Buffer) => this.push(d));
      inner.on('error', (err) => this.destroy(err));
      this.inner = inner;
    }
    this.inner.write(chunk, () => done());
  }

  override _flush(done: TransformCallback): void {
    if (!this.inner) return done();
    this.inner.once('end', () => done());
    this.inner.end();
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    this.inner?.destroy();
    done(err);
  }
}

/** A zlib header: compression method 8 with a window of at most 32 KB, and a check that makes the two bytes a multiple of 31. */
function zlibWrapped(b: Buffer): boolean {
  if (b.length < 2) return (b[0]! & 0x0f) === 8;
  return (b[0]! & 0x0f) === 8 && b[0]! >> 4 <= 7 && ((b[0]! << 8) | b[1]!) % 31 === 0;
}

/** Node 20's zlib has no zstd: fzstd decodes it, as content-encoding.ts does a request body. */
class Zstd extends Transform {
  private readonly d = new Decompress((chunk) => void this.push(Buffer.from(chunk)));

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.d.push(chunk);
    } catch (err) {
      return done(err as Error);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    try {
      this.d.push(new Uint8Array(0), true);
    } catch (err) {
      return done(err as Error);
    }
    done();
  }
}
