import { z } from 'zod';
import { RETRY_TRIGGERS } from '../routing/types.js';
import { refuseBaseUrlExtras } from './base-url.js';

const ms = z.number().int('must be a whole number of milliseconds').positive('must be above 0');
const timeouts = z.strictObject({ first_byte_ms: ms.optional(), request_ms: ms.optional() });

const deployment = z.strictObject({
  /** The provider this deployment uses (providers[].name). */
  provider: z.string().min(1),
  /** Unique name; defaults to the provider's name (or provider-2, … when one provider appears several times). */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be letters, digits, _ . and - (start with a letter or digit)').optional(),
  api_key: z.string().min(1, 'must not be empty').optional(),
  base_url: z
    .string()
    .url('must be an http(s) URL')
    .refine((s) => /^https?:/.test(s) && !/\/v1(beta)?\/?$/.test(s), 'must be an http(s) origin without /v1: Tollgate appends the API path')
    .superRefine(refuseBaseUrlExtras)
    .optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** The model name this deployment knows the model by. */
  model: z.string().min(1).optional(),
  weight: z.number().positive('must be above 0').optional(),
  order: z.number().int().min(0).optional(),
  rpm: z.number().int().positive().optional(),
  tpm: z.number().int().positive().optional(),
  timeouts: timeouts.optional(),
});

export const retrySchema = z.strictObject({
  attempts: z.number().int().min(1, 'must be at least 1 (the first try)').max(10, 'must be at most 10').optional(),
  per_deployment: z.number().int().min(1).max(10).optional(),
  backoff_ms: z.number().int().min(0).optional(),
  max_backoff_ms: z.number().int().min(0).optional(),
  max_wait_ms: z.number().int().min(0).optional(),
  on: z.array(z.enum(RETRY_TRIGGERS as [string, ...string[]], { error: `must be one of ${RETRY_TRIGGERS.join(', ')}` })).optional(),
});

export const queueSchema = z.strictObject({ max_depth: z.number().int().min(0).optional(), max_wait_ms: z.number().int().min(0).optional() });

export const affinitySchema = z.strictObject({
  enabled: z.boolean().optional(),
  ttl_ms: ms.optional(),
  miss_cost_factor: z.number().min(1, 'must be at least 1').optional(),
  min_prefix_chars: z.number().int().min(0).optional(),
});

export const routeSchema = z.strictObject({
  model: z.string().min(1, 'must not be empty'),
  deployments: z.array(deployment).min(1, 'needs at least one deployment'),
  fallbacks: z.array(z.string().min(1)).optional(),
  retry: retrySchema.optional(),
  timeouts: timeouts.optional(),
  queue: queueSchema.optional(),
  affinity: affinitySchema.optional(),
});

export const routingSchema = z.strictObject({
  retry: retrySchema.optional(),
  timeouts: timeouts.optional(),
  queue: queueSchema.optional(),
  affinity: affinitySchema.optional(),
  health: z
    .strictObject({
      cooldown_failures: z.number().int().min(1).optional(),
      cooldown_ms: ms.optional(),
      breaker_window: z.number().int().min(1).max(1000).optional(),
      breaker_min_requests: z.number().int().min(1).optional(),
      breaker_failure_ratio: z.number().gt(0).max(1, 'must be a fraction (0.5 is half)').optional(),
      breaker_open_ms: ms.optional(),
      half_open_probes: z.number().int().min(1).optional(),
      outlier_factor: z.number().min(1).optional(),
      outlier_min_requests: z.number().int().min(1).optional(),
      ejection_ms: ms.optional(),
      max_ejected_percent: z.number().min(0).max(100).optional(),
      refresh_ms: ms.optional(),
    })
    .optional(),
});
