import { z } from 'zod';
import { amount, scope } from '../policy/rule-input.js';

/** Increase requests as JSON bodies: the admin files one for someone, a developer for themself. */
const fields = {
  scope: scope.optional(),
  budget_id: z.string().min(1).max(128).optional(),
  amount_usd: amount,
  hours: z.number({ error: 'must be a whole number of hours' }),
  reason: z.string({ error: 'is required: approvers see it' }),
};

export const selfIncreaseInput = z.strictObject(fields);

export const adminIncreaseInput = z.strictObject({ ...fields, requested_by: z.string().trim().min(1, 'is required').max(200) });

export const decisionInput = z.strictObject({ note: z.string().max(2000).optional() }).optional();
