import { describe, expect, it } from 'vitest';
import { JsonlLines, MAX_BATCH_CONTAINERS, MAX_BATCH_STORED, batchContainers, batchStored } from './batch-results-tap.js';
import { zeroUsage } from '../../core/usage.js';

describe('batchContainers', () => {
  it('gives each container the results name once, and no more than a batch of requests can have', () => {
    const result = (containers?: string[]) => ({ customId: 'x', model: 'm', usage: zeroUsage(), serviceTier: 'batch', containers });
    expect(batchContainers([result(['a', 'b']), result(), result(['b', 'c'])])).toEqual(['a', 'b', 'c']);
    const many = Array.from({ length: MAX_BATCH_CONTAINERS + 10 }, (_, i) => result([`c${i}`]));
    expect(batchContainers(many)).toHaveLength(MAX_BATCH_CONTAINERS);
  });
});

describe('batchStored', () => {
  const result = (stored?: string[]) => ({ customId: 'x', model: 'm', usage: zeroUsage(), serviceTier: 'batch', stored });

  it('gives each Response and chat completion of the results, then their items, each once', () => {
    expect(batchStored([result(['resp_1', 'msg_1', 'rs_1']), result(), result(['chatcmpl-2']), result(['resp_3', 'msg_3'])])).toEqual(['resp_1', 'chatcmpl-2', 'resp_3', 'msg_1', 'rs_1', 'msg_3']);
  });

  it('keeps to its limit, every request of a batch before any item', () => {
    const many = Array.from({ length: MAX_BATCH_STORED }, (_, i) => result([`resp_${i}`, `msg_${i}`]));
    const ids = batchStored(many);
    expect(ids).toHaveLength(MAX_BATCH_STORED);
    expect(ids.at(-1)).toBe(`resp_${MAX_BATCH_STORED - 1}`);
    expect(batchStored([...many, result(['resp_more'])])).toHaveLength(MAX_BATCH_STORED);
  });
});

describe('JsonlLines', () => {
  it('skips a line longer than its limit, whether it comes in one chunk or many, and reads the next ones', () => {
    const seen: string[] = [];
    const lines = new JsonlLines((l) => seen.push(l), 10);
    lines.push(Buffer.from('short\n0123456789ABCDEF\nok'));
    lines.push(Buffer.from('\nxxxxxxxx'));
    lines.push(Buffer.from('xxxxxxxx'));
    lines.push(Buffer.from('xxxx\nafter\n0123456789'));
    lines.end();
    expect(seen).toEqual(['short', 'ok', 'after', '0123456789']);
  });

  it('numbers each line as the file does, blank and skipped ones counted, a last one without its newline too', () => {
    const seen: string[] = [];
    const lines = new JsonlLines((l, n) => seen.push(`${n}:${l}`), 10);
    lines.push(Buffer.from('a\n\n0123456789ABC\nb\r\n'));
    lines.push(Buffer.from('c'));
    lines.end();
    expect(seen).toEqual(['1:a', '4:b\r', '5:c']);
  });

  it('holds no more than the limit while skipping: a file with no newline is not kept', () => {
    const seen: string[] = [];
    const lines = new JsonlLines((l) => seen.push(l), 1024);
    for (let i = 0; i < 100; i++) lines.push(Buffer.alloc(512, 0x41));
    lines.end();
    expect(seen).toEqual([]);
    expect((lines as unknown as { pendingBytes: number }).pendingBytes).toBe(0);
  });
});
