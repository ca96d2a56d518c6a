import { describe, expect, it } from 'vitest';
import { FormPartNames, MAX_PART_HEADERS } from './form-parts.js';

const BOUNDARY = '----tollgate7MA4YWxkTrZu0gW';
const TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

function form(parts: { head: string; data: string | Buffer }[]): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) out.push(Buffer.from(`--${BOUNDARY}\r\n${p.head}\r\n\r\n`), Buffer.from(p.data), Buffer.from('\r\n'));
  out.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(out);
}

/** The names read from `body` pushed in chunks of `size` bytes. */
function names(body: Buffer, size: number, type = TYPE): (string | undefined)[] {
  const seen: (string | undefined)[] = [];
  const reader = FormPartNames.of(type, (n) => seen.push(n))!;
  for (let i = 0; i < body.length; i += size) reader.push(body.subarray(i, i + size));
  return seen;
}

const file = (name: string, data: string | Buffer) => ({ head: `Content-Disposition: form-data; name="${name}"; filename="a.csv"\r\nContent-Type: text/csv`, data });
const field = (name: string, data: string) => ({ head: `Content-Disposition: form-data; name="${name}"`, data });

describe('FormPartNames', () => {
  it('reads each part name wherever the chunks split the body, a delimiter and the headers included', () => {
    const body = form([file('file', 'a,b\n1,2\n'.repeat(40)), field('file_id', 'file-abc')]);
    for (const size of [1, 2, 3, 7, 16, 45, 64, 100, 1000, body.length]) expect(names(body, size), `chunks of ${size}`).toEqual(['file', 'file_id']);
  });

  it('does not read a file whose bytes look like a part of the form, or stop before the closing delimiter', () => {
    const inner = `--${BOUNDARY.slice(0, -1)}\r\nContent-Disposition: form-data; name="file_id"\r\n\r\nx`;
    const body = form([file('file', `name="file_id"\r\n\r\n${inner}`)]);
    for (const size of [1, 5, 64, body.length]) expect(names(body, size)).toEqual(['file']);
    // After the closing delimiter (an epilogue) nothing is a part.
    expect(names(Buffer.concat([body, Buffer.from(`\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="x"\r\n\r\n`)]), 3)).toEqual(['file']);
  });

  it('gives no name for a part without one, or with its name given twice (name*)', () => {
    const body = form([{ head: 'Content-Type: text/plain', data: 'x' }, { head: `Content-Disposition: form-data; name="file"; name*=utf-8''file_id`, data: 'y' }]);
    expect(names(body, 4)).toEqual([undefined, undefined]);
  });

  it('stops a part whose headers run past the limit, and takes only a form with a boundary', () => {
    const body = form([{ head: `Content-Disposition: form-data; name="file"\r\nX-Pad: ${'p'.repeat(MAX_PART_HEADERS)}`, data: 'x' }]);
    expect(() => names(body, 4096)).toThrow(/headers run past/);
    expect(FormPartNames.of('application/json', () => undefined)).toBeUndefined();
    expect(FormPartNames.of('multipart/form-data', () => undefined)).toBeUndefined();
  });

  it('lets onPart stop the reading by throwing', () => {
    const reader = FormPartNames.of(TYPE, (n) => {
      if (n !== 'file') throw new Error(`part ${n}`);
    })!;
    expect(() => reader.push(form([field('file_id', 'file-abc')]))).toThrow('part file_id');
  });
});
