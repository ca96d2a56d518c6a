import { isRecord, str } from './reply.js';

/**
 * The thinking and effort settings the Messages API refuses for a model, with a 400, written apart
 * from the gateway's own table so a test of it does not grade itself. Anthropic's docs: manual
 * thinking (`type: "enabled"`) is refused by Claude 4.7 and later; adaptive thinking is not taken
 * by 4.5 and older; an effort only by the models its page lists, `xhigh` and `max` by fewer.
 * A model not named here takes anything.
 */
const NO_ADAPTIVE = ['claude-haiku-4-5', 'claude-sonnet-4-5', 'claude-opus-4-5', 'claude-opus-4-1', 'claude-sonnet-4-20250514'];
const NO_MANUAL = ['claude-opus-4-7', 'claude-opus-4-8', 'claude-sonnet-5', 'claude-opus-5', 'claude-fable-5'];
const EFFORTS: Readonly<Record<string, readonly string[]>> = {
  'claude-haiku-4-5': [],
  'claude-sonnet-4-5': [],
  'claude-opus-4-5': ['low', 'medium', 'high'],
  'claude-sonnet-4-6': ['low', 'medium', 'high', 'max'],
  'claude-opus-4-6': ['low', 'medium', 'high', 'max'],
};

/** The message of the 400 a real Messages API answers `body` with for its thinking or effort, if any. */
export function refusedSetting(body: Readonly<Record<string, unknown>>): string | undefined {
  const model = (str(body.model) ?? '').replace(/-\d{8}$/, '');
  const thinking = isRecord(body.thinking) ? body.thinking : undefined;
  if (thinking?.type === 'adaptive' && NO_ADAPTIVE.includes(model)) return `thinking.type: adaptive thinking is not supported on ${model}`;
  if (thinking?.type === 'enabled' && NO_MANUAL.includes(model)) return `thinking.type.enabled is not supported for this model. Use thinking.type.adaptive and output_config.effort to control thinking behavior.`;
  if (thinking?.type === 'enabled' && typeof thinking.budget_tokens === 'number' && typeof body.max_tokens === 'number' && thinking.budget_tokens >= body.max_tokens) {
    return '`max_tokens` must be greater than `thinking.budget_tokens`';
  }
  const effort = isRecord(body.output_config) ? str(body.output_config.effort) : undefined;
  const levels = EFFORTS[model];
  if (effort !== undefined && levels !== undefined && !levels.includes(effort)) {
    return levels.length === 0 ? `output_config.effort: effort is not supported on ${model}` : `output_config.effort: ${effort} is not supported on ${model}`;
  }
  return undefined;
}
