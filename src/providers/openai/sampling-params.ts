import type { Api } from '../../core/api.js';
import { reasonsNot } from './reasoning-params.js';

/** The sampling settings a reasoning model takes only at their defaults. */
const DEFAULTS: Readonly<Record<string, number>> = { temperature: 1, top_p: 1 };

/**
 * Whether `model` refuses a temperature or top_p but the default ("Unsupported value: 'temperature'
 * does not support 0.2 with this model. Only the default (1) value is supported."): the o-series and
 * GPT-5 always; GPT-5.1 and later only while they reason (an effort other than `none`, theirs by default).
 * Not GPT-5's chat model (`gpt-5-chat-latest`), which does not reason (reasonsNot) and takes a
 * temperature (community.openai.com/t/1337133: "GPT-5-chat-latest does support temperature";
 * zeroclaw-labs/zeroclaw docs/openai-temperature-compatibility.md, tested: it accepts 0.7).
 */
export function fixesSampling(model: string, body: Record<string, unknown>): boolean {
  if (reasonsNot(model)) return false;
  const m = model.toLowerCase().replace(/^openai\//, '');
  if (/^o\d/.test(m) || /^gpt-5(?![.\d])/.test(m)) return true;
  if (!/^gpt-(?:5\.\d|[6-9]|\d{2,})/.test(m)) return false;
  const reasoning = body.reasoning;
  const effort = body.reasoning_effort ?? (typeof reasoning === 'object' && reasoning !== null ? (reasoning as Record<string, unknown>).effort : undefined);
  return effort !== undefined && effort !== null && effort !== 'none';
}

/**
 * A chat or Responses request that a policy or route moved to such a model goes without a
 * temperature or top_p it would refuse: valid for the model asked for (gpt-4.1), they would turn the
 * rewrite into a 400. `body` is a shallow copy, changed in place.
 */
export function dropFixedSampling(api: Api, body: Record<string, unknown>, model: string): void {
  if (api !== 'openai.chat' && api !== 'openai.responses') return;
  if (!Object.keys(DEFAULTS).some((k) => k in body) || !fixesSampling(model, body)) return;
  for (const [key, value] of Object.entries(DEFAULTS)) if (key in body && body[key] !== value && body[key] !== null) delete body[key];
}
