import type { z } from 'zod';

type Def = Record<string, unknown> & { shape?: Record<string, z.ZodType>; element?: z.ZodType; innerType?: z.ZodType; in?: z.ZodType };

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The object or list inside optional, default and pipe (transform) wrappers. */
function unwrapped(schema: z.ZodType): Def {
  let def = defOf(schema);
  for (let n = 0; n < 10; n++) {
    const inner = def.innerType ?? def.in;
    if (!inner || def.shape || def.element) break;
    def = defOf(inner);
  }
  return def;
}

/**
 * The field names the object at `path` in `schema` takes (a number in the path is a list's
 * item), for "unknown field" messages that list them; [] where there is no object.
 */
export function fieldsAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let here: z.ZodType | undefined = schema;
  for (const p of path) {
    const def = unwrapped(here);
    here = typeof p === 'number' ? def.element : typeof p === 'string' ? def.shape?.[p] : undefined;
    if (!here) return [];
  }
  return Object.keys(unwrapped(here).shape ?? {});
}
