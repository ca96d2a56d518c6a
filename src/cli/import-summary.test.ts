import { describe, expect, it } from 'vitest';
import { type ImportSummary, type SourceSummary, summaryText } from './import-summary.js';

const URL = 'http://central:8790';
const cc = (o: Partial<SourceSummary> = {}): SourceSummary => ({ rows: 12, inputTokens: 900, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 2454, costUsd: '0.054525', unpricedRows: 0, ...o });
const run = (o: Partial<ImportSummary> = {}): ImportSummary => ({ filesSeen: 3, filesRead: 2, bytesRead: 1_572_864, written: 12, removed: 0, sources: { 'claude-code-log': cc({ written: 12 }) }, ...o });

describe('the summary of a log import', () => {
  it('first run, everything written: local and pushed say the same, the push naming whose prices and where', () => {
    expect(summaryText(run())).toBe('Read 1.5 MB from 2 of 3 log files.\n  claude-code-log: 12 responses, 2454 output tokens, $0.054525\nWrote 12 rows.\n');
    const pushed = run({ sources: { 'claude-code-log': cc({ written: 12, pricedBy: 'server' }) } });
    expect(summaryText(pushed, { push: URL })).toBe(`Read 1.5 MB from 2 of 3 log files.\n  claude-code-log: 12 responses, 2454 output tokens, $0.054525 as the server priced them\nWrote 12 rows to ${URL}.\n`);
  });

  it('some rows already recorded: what was read, then what was written, the pricing note beside the cost (not inside the read count)', () => {
    const local = run({ written: 0, sources: { 'claude-code-log': cc({ written: 0 }) } });
    expect(summaryText(local)).toBe(
      'Read 1.5 MB from 2 of 3 log files.\n  claude-code-log: 12 responses read, 2454 output tokens, $0.054525; 0 written (12 already recorded, by this import or another source)\nWrote 0 rows.\n',
    );
    const pushed = run({ written: 0, sources: { 'claude-code-log': cc({ written: 0, pricedBy: 'server' }) } });
    expect(summaryText(pushed, { push: URL })).toBe(
      `Read 1.5 MB from 2 of 3 log files.\n  claude-code-log: 12 responses read, 2454 output tokens, $0.054525 as the server priced them; 0 written (12 already recorded, by this import or another source)\nWrote 0 rows to ${URL}.\n`,
    );
    // Local and pushed lines differ only by the pricing note.
    expect(summaryText(pushed, { push: URL }).replace(' as the server priced them', '').replace(` to ${URL}`, '')).toBe(summaryText(local));
  });

  it('counts the lines skipped for a time before 1970, a source that had only those too', () => {
    expect(summaryText(run({ sources: { 'claude-code-log': cc({ written: 12, skippedBefore1970: 2 }) } }))).toContain(
      '  claude-code-log: 12 responses, 2454 output tokens, $0.054525; skipped 2 lines dated before 1970-01-01, which the ledger does not hold (a clock that was not set?)\n',
    );
    const only = cc({ rows: 0, outputTokens: 0, costUsd: '0', skippedBefore1970: 1 });
    expect(summaryText(run({ written: 0, sources: { 'codex-log': only } }))).toContain('  codex-log: 0 responses, 0 output tokens, $0; skipped 1 line dated before 1970-01-01');
  });

  it('with removals: counts them, one row or several', () => {
    expect(summaryText(run({ written: 1, removed: 1, sources: { 'claude-code-log': cc({ rows: 1, outputTokens: 1, written: 1 }) } }))).toBe(
      'Read 1.5 MB from 2 of 3 log files.\n  claude-code-log: 1 response, 1 output token, $0.054525\nWrote 1 row, removed 1 replaced row.\n',
    );
    expect(summaryText(run({ removed: 2 }), { push: URL })).toMatch(new RegExp(`\nWrote 12 rows to ${URL.replace(/[.:/]/g, '\\$&')}, removed 2 replaced rows\\.\n$`));
  });

  it('an older server that prices nothing, and unpriced rows: one parenthesis after the cost', () => {
    const text = summaryText(run({ written: 10, sources: { 'claude-code-log': cc({ written: 10, unpricedRows: 3, pricedBy: 'estimate' }) } }), { push: URL });
    expect(text).toContain(
      '  claude-code-log: 12 responses read, 2454 output tokens, $0.054525 (3 unpriced; estimated here: the server prices the rows itself); 10 written (2 already recorded, by this import or another source)\n',
    );
    expect(summaryText(run({ sources: { 'claude-code-log': cc({ written: 12, unpricedRows: 1 }) } }))).toContain('$0.054525 (1 unpriced)\n');
  });

  it('a dry run says nothing was written and has no total; a no-change run says so', () => {
    expect(summaryText(run({ written: 0, sources: { 'claude-code-log': cc() } }), { dryRun: true })).toBe('Read 1.5 MB from 2 of 3 log files (dry run: nothing written).\n  claude-code-log: 12 responses, 2454 output tokens, $0.054525\n');
    expect(summaryText(run({ filesRead: 0, bytesRead: 0, written: 0, sources: {} }))).toBe('Nothing new in 3 log files.\n');
    expect(summaryText(run({ filesSeen: 1, filesRead: 0, bytesRead: 0, written: 0, sources: {} }), { push: URL })).toBe('Nothing new in 1 log file.\n');
    expect(summaryText(run({ filesSeen: 1, filesRead: 1 }))).toMatch(/^Read 1\.5 MB from 1 of 1 log file\.\n/);
  });
});
