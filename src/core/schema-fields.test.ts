import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { fieldsAt } from './schema-fields.js';

describe('fieldsAt', () => {
  const schema = z.strictObject({
    a: z.string(),
    inner: z.strictObject({ x: z.number(), y: z.number() }).optional(),
    items: z.array(z.strictObject({ from: z.string(), to: z.string() })).default([]),
    piped: z.strictObject({ p: z.string() }).transform((v) => v.p),
  });

  it('names the fields of the object at a path, through optional, default, list and transform wrappers', () => {
    expect(fieldsAt(schema, [])).toEqual(['a', 'inner', 'items', 'piped']);
    expect(fieldsAt(schema, ['inner'])).toEqual(['x', 'y']);
    expect(fieldsAt(schema, ['items', 0])).toEqual(['from', 'to']);
    expect(fieldsAt(schema, ['piped'])).toEqual(['p']);
    expect(fieldsAt(schema.optional(), ['inner'])).toEqual(['x', 'y']);
  });

  it('names none where the path leads to no object', () => {
    expect(fieldsAt(schema, ['a'])).toEqual([]);
    expect(fieldsAt(schema, ['nope', 'deeper'])).toEqual([]);
    expect(fieldsAt(z.string(), [])).toEqual([]);
  });
});
