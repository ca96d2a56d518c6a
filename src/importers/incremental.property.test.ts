import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LedgerRow } from '../core/ledger-row.js';
import { type CorpusResult, generateCorpus } from './testing/corpus.js';
import { importer, sums } from './testing/fixtures.js';

// An hourly import sees each log as far as the agent had written it, often mid-line.
// However the files are cut between runs, the rows the runs leave (upserts by id, removals
// applied) must add up to the corpus's ground truth, exactly as one run over the whole files does.

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.jsonl'))
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** The ledger a series of runs leaves, written as the CLI writes it: removals, idempotent inserts (a stored id is kept), upserts. */
function apply(ledger: Map<string, LedgerRow>, run: { removed: readonly string[]; written: { insert: readonly LedgerRow[]; upsert: readonly LedgerRow[] } }): void {
  for (const id of run.removed) ledger.delete(id);
  for (const r of run.written.insert) if (!ledger.has(r.id)) ledger.set(r.id, r);
  for (const r of run.written.upsert) ledger.set(r.id, r);
}

/** Where the line holding byte `at` starts (a run resumes there when it stopped inside a line). */
function lineStart(bytes: Buffer, at: number): number {
  return at === 0 ? 0 : bytes.lastIndexOf(10, at - 1) + 1;
}

/** Lines a crashed or foreign writer can leave in a log: none of them is usage, and none may count. */
const junk = fc.oneof(
  { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((t) => t.replace(/\n/g, ' ')) },
  // Lines that look like usage and are not: the likeliest to be miscounted.
  { weight: 3, arbitrary: fc.constantFrom(
    '{"type":"assistant","message":{"id":"msg_junk","usage":',
    '{"type":"assistant","message":{"id":"msg_junk","model":"claude-sonnet-4-5","usage":{"input_tokens":"12","output_tokens":3}},"timestamp":"2026-10-21T10:00:00Z"}',
    '{"type":"assistant","message":{"usage":{"input_tokens":1,"output_tokens":2}},"timestamp":"not a time"}',
    '{"timestamp":"2026-11-02T10:00:00Z","type":"event_msg","payload":{"type":"token_count","info":null}}',
    '{"timestamp":"2026-11-02T10:00:00Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":"lots"}}}',
    '{"type":"turn_context","payload":{"model":7}}',
    '\u0000\u0001"usage"\u00ff',
  ) },
);

/** The file's bytes with each junk line put in after one of its lines (or first). */
function withJunk(bytes: Buffer, lines: readonly { at: number; text: string }[]): Buffer {
  const starts = [0];
  for (let i = bytes.indexOf(10); i >= 0 && i < bytes.length - 1; i = bytes.indexOf(10, i + 1)) starts.push(i + 1);
  const at = new Map<number, string[]>();
  for (const l of lines) {
    const start = starts[l.at % starts.length]!;
    at.set(start, [...(at.get(start) ?? []), l.text]);
  }
  const out: Buffer[] = [];
  let from = 0;
  for (const start of [...at.keys()].sort((a, b) => a - b)) {
    out.push(bytes.subarray(from, start), Buffer.from(at.get(start)!.map((t) => `${t}\n`).join('')));
    from = start;
  }
  out.push(bytes.subarray(from));
  return Buffer.concat(out);
}

describe.each([
  { source: 'claude-code' as const, dirOf: (c: CorpusResult) => c.claudeDir, expected: (c: CorpusResult) => c.expected.claude },
  // The generator counts Codex input as OpenAI reports it, cached tokens included.
  { source: 'codex' as const, dirOf: (c: CorpusResult) => c.codexDir, expected: (c: CorpusResult) => ({ ...c.expected.codex, input: c.expected.codex.input - c.expected.codex.cacheRead }) },
])('incremental $source import', ({ source, dirOf, expected }) => {
  it('adds up to the ground truth however the files are cut between runs, whatever junk lines they hold', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 3 }), fc.array(fc.record({ file: fc.nat(), at: fc.nat(), text: junk }), { maxLength: 8 }), (seed, stages, junkLines) => {
        const corpus = generateCorpus({ out: mkdtempSync(join(tmpdir(), 'tollgate-corpus-')), mb: source === 'claude-code' ? 2 : 0, codexMb: source === 'codex' ? 1 : 0, seed, days: 3 });
        const dir = dirOf(corpus);
        const paths = filesUnder(dir);
        const files = paths.map((path, i) => ({ path, bytes: withJunk(readFileSync(join(dir, path)), junkLines.filter((j) => j.file % paths.length === i)) }));
        const live = mkdtempSync(join(tmpdir(), 'tollgate-live-'));
        const imp = importer(source, live);
        const ledger = new Map<string, LedgerRow>();
        const written = new Map<string, number>();
        // Each stage writes every file up to a point (a different one per file), then imports; the last stage writes all.
        for (const [s, fraction] of [...stages, 1].entries()) {
          // A run reads what was appended, from the start of the line it stopped in: never more.
          let mostRead = 0;
          files.forEach(({ path, bytes }, i) => {
            const from = written.get(path) ?? 0;
            const share = s === stages.length ? 1 : (fraction + i * 0.618) % 1;
            const to = Math.max(from, Math.floor(bytes.length * share));
            if (to === from && written.has(path)) return;
            mkdirSync(dirname(join(live, path)), { recursive: true });
            if (!written.has(path)) writeFileSync(join(live, path), bytes.subarray(0, to));
            else appendFileSync(join(live, path), bytes.subarray(from, to));
            written.set(path, to);
            mostRead += to - lineStart(bytes, from);
          });
          const run = imp.run();
          expect(run.bytesRead).toBeLessThanOrEqual(mostRead);
          apply(ledger, run);
        }
        const got = sums([...ledger.values()]);
        const e = expected(corpus);
        expect(got).toEqual({ rows: e.responses, input: e.input, output: e.output, cacheWrite: e.cacheCreate, cacheRead: e.cacheRead });
        expect([...ledger.values()].reduce((n, r) => n + r.cacheWrite1hTokens, 0)).toBe(e.cacheCreate1h);
      }),
      { seed: 20261205, numRuns: 12 },
    );
  }, 60_000);
});
