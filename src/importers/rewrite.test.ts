import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importer, logDir } from './testing/fixtures.js';

const line = (n: number) => ({
  type: 'assistant',
  timestamp: `2026-11-20T09:00:${String(n).padStart(2, '0')}.000Z`,
  requestId: `req_${n}`,
  message: { id: `msg_${n}`, model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 3, output_tokens: 5 } },
});
const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => line(from + i));

describe('a log file rewritten in place', () => {
  it('is read from the start when its bytes before the saved offset changed (same inode, larger)', () => {
    const logs = logDir({ 'projects/-home-dev-app/s1.jsonl': lines(1, 3) });
    const run = importer('claude-code', logs.dir);
    expect(run.run().rows).toHaveLength(3);
    const ino = statSync(join(logs.dir, 'projects/-home-dev-app/s1.jsonl')).ino;
    logs.write('projects/-home-dev-app/s1.jsonl', lines(10, 6));
    expect(statSync(join(logs.dir, 'projects/-home-dev-app/s1.jsonl')).ino).toBe(ino);
    expect(run.run().rows.map((r) => r.responseId)).toEqual(lines(10, 6).map((l) => l.message.id));
  });

  it('is still read from the saved offset when only appended to', () => {
    const logs = logDir({ 'projects/-home-dev-app/s1.jsonl': lines(1, 3) });
    const run = importer('claude-code', logs.dir);
    run.run();
    logs.append('projects/-home-dev-app/s1.jsonl', JSON.stringify(line(4)) + '\n');
    const again = run.run();
    expect(again.rows.map((r) => r.responseId)).toEqual(['msg_4']);
    expect(again.bytesRead).toBe(JSON.stringify(line(4)).length + 1);
  });
});
