import type { z } from 'zod';

const KINDS: Record<string, string> = { number: 'a number', int: 'a whole number', string: 'text', boolean: 'true or false', array: 'a list', object: 'a mapping (name: value)' };

/**
 * A schema issue in the words the settings' own messages use: the schema library's defaults
 * ("Too small: expected number to be >0") are reworded; a field's own message is kept.
 */
export function plainIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input') && KINDS[issue.expected] !== undefined) return `must be ${KINDS[issue.expected]}`;
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
