import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { plainIssue } from './issue-text.js';

const said = (schema: z.ZodType, value: unknown) => plainIssue(schema.safeParse(value).error!.issues[0]!);

describe('plainIssue', () => {
  it('rewords the schema library’s bounds and types, and keeps a field’s own message', () => {
    expect(said(z.number().positive(), 0)).toBe('must be more than 0');
    expect(said(z.number().int().min(1).max(100), 150)).toBe('must be at most 100');
    expect(said(z.number().min(1), 0)).toBe('must be at least 1');
    expect(said(z.number().lt(5), 5)).toBe('must be less than 5');
    expect(said(z.array(z.number()).max(10), Array.from({ length: 11 }, () => 1))).toBe('must have at most 10 items');
    expect(said(z.string().min(1), '')).toBe('must not be empty');
    expect(said(z.string().max(3), 'abcd')).toBe('must be at most 3 characters');
    expect(said(z.number(), 'x')).toBe('must be a number');
    expect(said(z.number().max(1440, 'must be at most 1440 (a day)'), 2000)).toBe('must be at most 1440 (a day)');
  });

  it('names the kinds a union takes rather than “Invalid input”, and says a number must be finite', () => {
    const numberOrText = z.union([z.number(), z.string()]);
    for (const v of [true, null, [], {}]) expect(said(numberOrText, v)).toBe('must be a number or text');
    for (const v of [Infinity, -Infinity]) expect(said(numberOrText, v)).toBe('must be finite');
    expect(said(z.number().max(5), Infinity)).toBe('must be finite');
    expect(said(z.union([z.number(), z.string()], { error: 'must be a price' }), true)).toBe('must be a price');
    // A value or a list of them: the kind that took the value's type says what is wrong inside it.
    const oneOrMore = z.union([z.string().pipe(z.enum(['a', 'b'], { error: 'must be one of a, b' })), z.array(z.string().pipe(z.enum(['a', 'b'], { error: 'must be one of a, b' })))]);
    expect(said(oneOrMore, 'c')).toBe('must be one of a, b');
    expect(said(oneOrMore, ['a', 'c'])).toBe('must be one of a, b');
    expect(said(z.union([z.string(), z.array(z.string())]), [1])).toBe('must be text');
    // A union whose kinds failed deeper than their type keeps the library’s word.
    expect(said(z.union([z.object({ a: z.number() }), z.object({ b: z.string() })]), {})).toBe('Invalid input');
  });
});
