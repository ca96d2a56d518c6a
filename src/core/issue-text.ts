import type { z } from 'zod';

const KINDS: Record<string, string> = { number: 'a number', int: 'a whole number', string: 'text', boolean: 'true or false', array: 'a list', object: 'a mapping (name: value)' };

/**
 * A schema issue in the words the settings' own messages use: the schema library's defaults
 * ("Too small: expected number to be >0") are reworded; a field's own message is kept.
 */
export function plainIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input') && KINDS[issue.expected] !== undefined) return `must be ${nonFinite(issue) ? 'finite' : KINDS[issue.expected]}`;
  // "Invalid input" alone says nothing: a union whose every kind refused the value's type names those kinds.
  if (issue.code === 'invalid_union' && issue.message === 'Invalid input') {
    const tried = issue.errors.map((e) => (e.length === 1 && e[0]!.code === 'invalid_type' && e[0].path.length === 0 ? e[0] : undefined));
    if (tried.length > 0 && tried.every((t) => t !== undefined && KINDS[t.expected] !== undefined)) {
      return tried.some((t) => nonFinite(t!)) ? 'must be finite' : `must be ${[...new Set(tried.map((t) => KINDS[t!.expected]))].join(' or ')}`;
    }
    // A value or a list of values: the one kind that took the value's type says what is wrong inside it.
    const took = issue.errors.filter((e, i) => tried[i] === undefined && e.length > 0);
    if (took.length === 1) return plainIssue(took[0]![0]!);
  }
  if (issue.code === 'too_small' && issue.message.startsWith('Too small')) {
    const min = Number(issue.minimum);
    if (issue.origin === 'string') return min === 1 ? 'must not be empty' : `must be at least ${min} characters`;
    if (issue.origin === 'array') return `must have at least ${min} item${min === 1 ? '' : 's'}`;
    if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') return issue.inclusive ? `must be at least ${min}` : `must be more than ${min}`;
  }
  if (issue.code === 'too_big' && issue.message.startsWith('Too big')) {
    const max = Number(issue.maximum);
    if (issue.origin === 'string') return `must be at most ${max} characters`;
    if (issue.origin === 'array') return `must have at most ${max} item${max === 1 ? '' : 's'}`;
    if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') return issue.inclusive ? `must be at most ${max}` : `must be less than ${max}`;
  }
  return issue.message;
}

/** A number past what a double holds (`1e400` in JSON, `.inf` in YAML), which the type check refuses as not a number. */
function nonFinite(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'invalid_type' && issue.expected === 'number' && /^-?Infinity$/.test((issue as { received?: string }).received ?? '');
}
