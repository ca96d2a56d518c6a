import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixtures, runTap, splitAt } from '../testing/tap-runner.js';
import type { RouteMatch, TapContext } from '../types.js';
import { anthropicAdapter } from './adapter.js';
import { JsonlLines } from '../shared/batch-results-tap.js';

const fixture = fixtures(import.meta.url);
const ctx: TapContext = { status: 200, contentType: 'application/binary', stream: false, injectedStreamUsage: false, requestedModel: '' };
const results: RouteMatch = { api: 'anthropic.batch_results', dialect: 'anthropic', method: 'GET', noBody: true, resourceId: 'msgbatch_01X' };

describe('Message Batch results tap: chunking does not matter', () => {
  it('forwards each chunk at once and unchanged, and keeps the same results however the bytes are split (or cut)', () => {
    fc.assert(
      fc.property(fc.option(fc.nat(), { nil: undefined }), fc.array(fc.nat(), { maxLength: 60 }), (truncateAt, cuts) => {
        const full = fixture('batch-results.jsonl');
        const complete = truncateAt === undefined;
        const input = complete ? full : full.subarray(0, truncateAt % (full.length + 1));
        const chunks = splitAt(input, cuts);
        const whole = runTap(anthropicAdapter.createTap(results, ctx), [input], complete);
        const split = runTap(anthropicAdapter.createTap(results, ctx), chunks, complete);
        expect(split.metered).toEqual(whole.metered);
        // Each push emitted exactly its chunk: nothing held back, nothing changed.
        expect(split.pushes.slice(0, chunks.length).map((b) => b.toString('hex'))).toEqual(chunks.map((c) => c.toString('hex')));
        expect(split.bytes.equals(input)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('JsonlLines gives the same lines for any split of any text, CRLF and multi-byte characters included', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }).map((s) => s.replace(/\n/g, '')), { maxLength: 12 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 30 }), (lines, crlf, cuts) => {
        const text = lines.map((l) => l + (crlf ? '\r\n' : '\n')).join('');
        const bytes = Buffer.from(text, 'utf8');
        const seen: string[] = [];
        const reader = new JsonlLines((l) => seen.push(l));
        for (const c of splitAt(bytes, cuts)) reader.push(c);
        reader.end();
        expect(seen).toEqual(lines.map((l) => l + (crlf ? '\r' : '')).filter((l) => l.trim() !== ''));
      }),
      { numRuns: 300 },
    );
  });
});
