import { z } from 'zod';
import { fileSchema } from './schema.js';

/** A JSON Schema of the config file, for editors (`tollgate config schema`). */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(fileSchema, { io: 'input', unrepresentable: 'any' });
}
