import type { Api } from '../core/api.js';
import { compileGlobs } from '../core/glob.js';
import { insertBreakpoints } from './auto-breakpoints.js';
import { encodePrefix, hashPrefix, type PrefixRecord } from './prefix.js';

/** What the gateway does about prompt caching (config `cache_analysis` and `cache`). */
export interface CacheSettings {
  /** Hash each request's prompt prefix into its ledger row (default true). */
  hashPrompts: boolean;
  /** Keep each block's text next to its hash (default false: hashes only). */
  storePrompts: boolean;
  /** `cache` rules, first match wins. */
  rules: CacheRule[];
}

export interface CacheRule {
  model: string;
  provider: string | undefined;
  mode: 'auto' | 'off';
  ttl: '5m' | '1h' | undefined;
}

export const DEFAULT_CACHE_SETTINGS: CacheSettings = { hashPrompts: true, storePrompts: false, rules: [] };

export interface CacheStepInput {
  api: Api;
  provider: string;
  model: string;
  json: unknown;
  raw: Buffer;
}

export interface CacheStep {
  /** The body to send: `raw` itself unless `cache: auto` added breakpoints. */
  raw: Buffer;
  /** True when the gateway added breakpoints (the row is tagged `cache=auto`). */
  auto: boolean;
  /**
   * The stored prefix, computed once on first call: the gateway calls it while the upstream is
   * thinking (setImmediate after forwarding), and the row builder reads the result.
   */
  prefix: (() => string | undefined) | undefined;
}

/** The gateway's one cache step per request: maybe add breakpoints, and arrange for the prefix to be hashed later. */
export function cacheStep(settings: CacheSettings, match: (provider: string, model: string) => CacheRule | undefined, x: CacheStepInput): CacheStep {
  let raw = x.raw;
  let added: number[] = [];
  if (x.api === 'anthropic.messages') {
    const rule = match(x.provider, x.model);
    if (rule?.mode === 'auto') {
      const r = insertBreakpoints(x.raw, x.json, x.model, rule.ttl);
      if (r) [raw, added] = [r.body, r.positions];
    }
  }
  const prefix = settings.hashPrompts ? once(() => {
    const p = hashPrefix(x.api, x.json, settings.storePrompts);
    return p === undefined ? undefined : encodePrefix(withBreakpoints(p, added));
  }) : undefined;
  return { raw, auto: added.length > 0, prefix };
}

/**
 * Runs `fn` at most once, then lets it go (it holds the parsed request, which a long stream
 * must not keep); a failure means no prefix, never a lost row.
 */
function once(fn: () => string | undefined): () => string | undefined {
  let pending: (() => string | undefined) | undefined = fn;
  let value: string | undefined;
  return () => {
    if (pending) {
      const f = pending;
      pending = undefined;
      try {
        value = f();
      } catch {
        value = undefined;
      }
    }
    return value;
  };
}

function withBreakpoints(p: PrefixRecord, added: number[]): PrefixRecord {
  if (added.length === 0) return p;
  const bp = [...p.bp, ...added.map((pos): [number, string] => [pos, 'auto'])].sort((a, b) => a[0] - b[0]);
  return { ...p, bp };
}

/** Compiles the rules into a matcher: first rule whose model glob (and provider, if set) matches. */
export function cacheRuleMatcher(rules: readonly CacheRule[]): (provider: string, model: string) => CacheRule | undefined {
  const compiled = rules.map((r) => ({ r, matches: compileGlobs([r.model]) }));
  return (provider, model) => compiled.find((c) => (c.r.provider === undefined || c.r.provider === provider) && c.matches(model))?.r;
}
