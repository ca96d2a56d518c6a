import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { estimateInputTokens } from '../../metering/estimate.js';
import type { Range } from './rule.js';
import { RuleRouter } from './router.js';

function inRange(n: number, r: Range): boolean {
  return (r.lt === undefined || n < r.lt) && (r.lte === undefined || n <= r.lte) && (r.gt === undefined || n > r.gt) && (r.gte === undefined || n >= r.gte);
}

// Bodies whose estimates land near the bounds: messages of strings up to 60 characters, or any JSON.
const body = fc.oneof(
  fc.array(fc.record({ role: fc.constantFrom('user', 'assistant'), content: fc.string({ maxLength: 60 }) }), { maxLength: 40 }).map((messages) => ({ messages })),
  fc.jsonValue({ maxDepth: 4 }),
);
// One or two bounds: more are mostly contradictory and would never match either way.
const range = fc.array(fc.tuple(fc.constantFrom('lt', 'lte', 'gt', 'gte'), fc.nat({ max: 300 })), { minLength: 1, maxLength: 2 }).map((b) => Object.fromEntries(b) as Range);

describe('input token conditions (property)', () => {
  it('decide exactly as the full estimate would, for any body and any ranges in any order', () => {
    fc.assert(
      fc.property(body, fc.array(range, { minLength: 1, maxLength: 4 }), (json, ranges) => {
        const rules = ranges.map((r, i) => ({ id: `r${i}`, mode: 'enforce' as const, match: { inputTokens: r }, action: { model: 'm' } }));
        const full = estimateInputTokens(json);
        const want = ranges.findIndex((r) => inRange(full, r));
        const got = new RuleRouter(rules).decide({ api: 'openai.chat', model: 'x', keyId: null, user: null, team: null, project: null, tags: {}, headers: {}, json, maxOutputTokens: undefined }, () => true);
        expect(got?.rule).toBe(want < 0 ? undefined : `r${want}`);
      }),
      { numRuns: 500 },
    );
  });
});
