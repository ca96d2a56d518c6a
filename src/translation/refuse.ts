import { GatewayError } from '../core/errors.js';

/** Where a translated request goes, for error messages. */
export interface Target {
  /** The configured provider's name. */
  provider: string;
  /** The dialect the provider speaks. */
  dialect: 'openai' | 'anthropic';
}

/**
 * Refuses a request that uses something the other dialect cannot express: a 400 in the
 * client's own error format (the gateway renders it), naming the feature.
 */
export function refuse(feature: string, why: string, t: Target): GatewayError {
  return new GatewayError('not_translatable', `${feature} cannot be translated for the ${t.dialect} provider "${t.provider}": ${why}`, {
    details: { feature, provider: t.provider, upstream_dialect: t.dialect },
  });
}

/** Fails on any member of `body` that is neither mapped nor known to be safe to leave out. */
export function refuseUnknown(body: Record<string, unknown>, known: ReadonlySet<string>, t: Target): void {
  for (const key of Object.keys(body)) {
    if (!known.has(key) && body[key] !== undefined && body[key] !== null) throw refuse(`The field \`${key}\``, 'it has no equivalent there', t);
  }
}

/** Text of an untrusted JSON value: strings as they are, nothing for null or undefined, JSON for the rest. */
export function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  return JSON.stringify(v) ?? '';
}

/** A block's or part's type for a message: in backquotes, or "(untyped)" when it has none. */
export function kind(type: unknown): string {
  const t = str(type);
  return t === '' ? '(untyped)' : `\`${t}\``;
}
