import { appendFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPricer } from '../pricing/index.js';
import { discover } from './discover.js';
import { type ParseAhead, parseAhead } from './parse-ahead.js';
import { aheadJobs, readNew } from './run.js';
import { type AdapterMemory, type ImportState, emptyState } from './state.js';
import { generateCorpus } from './testing/corpus.js';

const corpus = generateCorpus({ out: mkdtempSync(join(tmpdir(), 'tollgate-ahead-')), mb: 2, seed: 11 });
const price = createPricer();
let open: ParseAhead | undefined;
afterEach(() => open?.close());

function read(state: ImportState, memory: AdapterMemory, ahead?: { share: number; tamper?: boolean }) {
  const found = discover(['claude-code'], {}, [corpus.claudeDir]);
  let jobs = ahead ? aheadJobs(found, state, { share: ahead.share, minBytes: 0 }) : [];
  if (ahead?.tamper) jobs = jobs.map((j, i) => (i % 2 === 0 ? { ...j, from: j.from + 1 } : { ...j, path: j.path + '.missing' }));
  const worker = (open = jobs.length > 0 ? parseAhead(jobs) : undefined);
  let delivered = 0; // files the main thread took from the worker
  const counted = worker && {
    take: (p: string) => {
      const got = worker.take(p);
      if (got) delivered++;
      return got;
    },
    close: () => worker.close(),
  };
  const r = readNew({ found, state, memory, attribution: { user: 'dev', team: null, project: null }, price, projectOf: (c) => c, ahead: counted });
  open?.close();
  return { rows: r.changes.rows(), removed: [...r.changes.removed], state: r.state, memory: r.memory, bytesRead: r.bytesRead, delivered };
}

describe('parse-ahead worker', () => {
  it('gives exactly what reading on the main thread gives, whatever share it takes', () => {
    const alone = read(emptyState('t'), {});
    expect(alone.rows.length).toBe(corpus.expected.claude.responses);
    for (const share of [0.3, 1]) {
      const shared = read(emptyState('t'), {}, { share });
      expect(shared.delivered).toBeGreaterThan(share === 1 ? corpus.files - 1 : 2);
      expect(shared).toEqual({ ...alone, delivered: shared.delivered });
    }
  });

  it('agrees on an incremental run, a line still being written included', () => {
    const first = read(emptyState('t'), {});
    const dir = join(corpus.claudeDir, 'projects');
    const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.jsonl')).sort();
    const line = (id: string, out: number) => JSON.stringify({ type: 'assistant', timestamp: '2026-11-20T09:00:00.000Z', requestId: `req_${id}`, message: { id: `msg_${id}`, model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 3, output_tokens: out } } });
    appendFileSync(join(dir, files.at(-1)!), line('late', 9) + '\n' + line('torn', 4).slice(0, 30));
    appendFileSync(join(dir, files[0]!), line('early', 5) + '\n');
    const alone = read(first.state, first.memory);
    expect(alone.rows.map((r) => r.outputTokens).sort()).toEqual([5, 9]);
    expect(read(first.state, first.memory, { share: 1 })).toEqual({ ...alone, delivered: 2 });
  });

  it('falls back to reading a file itself when the worker read another offset or failed on it', () => {
    const alone = read(emptyState('t'), {});
    // Every job tampered with: half read from the wrong offset (delivered, then not used), half failing.
    const tampered = read(emptyState('t'), {}, { share: 1, tamper: true });
    expect(tampered.delivered).toBe(Math.ceil(corpus.files / 2));
    expect(tampered).toEqual({ ...alone, delivered: tampered.delivered });
  });
});
