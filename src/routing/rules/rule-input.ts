import { z } from 'zod';
import { APIS } from '../../core/api.js';
import { SYSTEM_HASH_LENGTH } from './features.js';
import type { RoutingRule } from './rule.js';

/** Routing rules as written in the config file (snake_case); see docs/routing-rules.md. */
const glob = z.string().min(1, 'must not be empty');
const globs = z.union([glob, z.array(glob).min(1, 'must list at least one value')]).transform((v) => (Array.isArray(v) ? v : [v]));
const count = z.number().int('must be a whole number').min(0, 'must be ≥ 0');
const range = z
  .strictObject({ lt: count.optional(), lte: count.optional(), gt: count.optional(), gte: count.optional() })
  .refine((r) => Object.keys(r).length > 0, 'set at least one of lt, lte, gt, gte');
// Text first, so that a value of another type is refused as such and the config error names the APIs.
const api = z.string().pipe(z.enum(APIS, { error: `must be one of ${APIS.join(', ')}` }));
const hash = z
  .string()
  .transform((s) => s.toLowerCase())
  .refine((s) => s === 'none' || new RegExp(`^[0-9a-f]{${SYSTEM_HASH_LENGTH}}$`).test(s), `must be ${SYSTEM_HASH_LENGTH} hex characters (tollgate routing hash-system FILE) or none`);

export const routingMatchInput = z.strictObject({
  model: globs.optional(),
  api: z.union([api, z.array(api).min(1)]).transform((v) => (Array.isArray(v) ? v : [v])).optional(),
  key: globs.optional(),
  user: globs.optional(),
  team: globs.optional(),
  project: globs.optional(),
  tags: z.record(z.string().min(1), glob).optional(),
  headers: z.record(z.string().min(1), glob).optional(),
  input_tokens: range.optional(),
  max_tokens: range.optional(),
  tools: z.boolean().optional(),
  images: z.boolean().optional(),
  reasoning: globs.optional(),
  system_hash: z.union([hash, z.array(hash).min(1)]).transform((v) => (Array.isArray(v) ? v : [v])).optional(),
});

export const routingRuleInput = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_.:-]{0,127}$/i, 'must be letters, digits, _ . : - (up to 128)'),
  mode: z.enum(['enforce', 'shadow'], { error: 'must be enforce or shadow' }),
  match: routingMatchInput.optional(),
  action: z
    .strictObject({
      model: z.string().min(1, 'must name a model').optional(),
      provider: z.string().min(1).optional(),
      deployment: z.string().min(1, 'must name a deployment').optional(),
      fallback: z.boolean({ error: 'must be true or false' }).optional(),
    })
    .refine((a) => a.model !== undefined || a.deployment !== undefined, 'set model, deployment, or both')
    .refine((a) => a.provider === undefined || a.deployment === undefined, 'set provider or deployment, not both: a deployment already names its provider'),
});

export type RoutingRuleInput = z.input<typeof routingRuleInput>;

export function toRoutingRule(r: z.output<typeof routingRuleInput>): RoutingRule {
  const m = r.match ?? {};
  const lower = (rec: Record<string, string> | undefined) => (rec ? Object.fromEntries(Object.entries(rec).map(([k, v]) => [k.toLowerCase(), v])) : undefined);
  const match: RoutingRule['match'] = {
    model: m.model,
    api: m.api,
    key: m.key,
    user: m.user,
    team: m.team,
    project: m.project,
    tags: m.tags,
    headers: lower(m.headers),
    inputTokens: m.input_tokens,
    maxTokens: m.max_tokens,
    tools: m.tools,
    images: m.images,
    reasoning: m.reasoning?.map((x) => x.toLowerCase()),
    systemHash: m.system_hash,
  };
  for (const k of Object.keys(match) as (keyof typeof match)[]) if (match[k] === undefined) delete match[k];
  return { id: r.id, mode: r.mode, match, action: {
      ...(r.action.model !== undefined ? { model: r.action.model } : {}),
      ...(r.action.provider !== undefined ? { provider: r.action.provider } : {}),
      ...(r.action.deployment !== undefined ? { deployment: r.action.deployment } : {}),
      ...(r.action.fallback !== undefined ? { fallback: r.action.fallback } : {}),
    },
  };
}
