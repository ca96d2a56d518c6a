import { type Glob, compileGlob } from '../core/glob.js';

/**
 * What a budget, rate limit or model rule applies to. Written `kind:value`:
 * `user:alice`, `team:platform`, `key:<key id>`, `project:web`, `tag:workflow=nightly`,
 * `model:claude-opus-*` (a glob), `provider:anthropic`, or plain `org` for everything.
 */
export type ScopeKind = 'org' | 'key' | 'user' | 'team' | 'project' | 'tag' | 'model' | 'provider';

export interface Scope {
  kind: ScopeKind;
  /** '' for org; `name=value` for tag; a glob for model. */
  value: string;
}

/** What a request is, as far as scopes are concerned. */
export interface Subject {
  keyId: string | null;
  user: string | null;
  team: string | null;
  project: string | null;
  tags: Readonly<Record<string, string>>;
  /** The model that will be served (after any policy rewrite). */
  model: string;
  provider: string;
}

const KINDS: readonly ScopeKind[] = ['org', 'key', 'user', 'team', 'project', 'tag', 'model', 'provider'];
const VALUE = /^[^\s,]{1,256}$/;

/** Parses `kind:value`; throws RangeError with a message that says what is wrong. */
export function parseScope(text: string): Scope {
  const t = text.trim();
  if (t === 'org' || t === 'org:*') return { kind: 'org', value: '' };
  const colon = t.indexOf(':');
  const kind = (colon < 0 ? t : t.slice(0, colon)) as ScopeKind;
  const value = colon < 0 ? '' : t.slice(colon + 1);
  if (!KINDS.includes(kind)) throw new RangeError(`scope "${text}": the kind must be one of ${KINDS.join(', ')} (write kind:value, e.g. user:alice)`);
  if (!VALUE.test(value)) throw new RangeError(`scope "${text}": needs a value without spaces or commas after "${kind}:"`);
  if (kind === 'tag' && !/^[A-Za-z0-9_.-]{1,64}=.+$/.test(value)) throw new RangeError(`scope "${text}": a tag scope is tag:name=value, e.g. tag:workflow=nightly-review`);
  return { kind, value };
}

export function formatScope(s: Scope): string {
  return s.kind === 'org' ? 'org' : `${s.kind}:${s.value}`;
}

export function sameScope(a: Scope, b: Scope): boolean {
  return a.kind === b.kind && (a.kind === 'model' ? a.value.toLowerCase() === b.value.toLowerCase() : a.value === b.value);
}

const globCache = new Map<string, Glob>();

function globMatch(glob: string, value: string): boolean {
  let re = globCache.get(glob);
  if (!re) {
    re = compileGlob(glob);
    if (globCache.size > 10_000) globCache.clear();
    globCache.set(glob, re);
  }
  return re.test(value);
}

export function scopeMatches(s: Scope, who: Subject): boolean {
  switch (s.kind) {
    case 'org':
      return true;
    case 'key':
      return who.keyId === s.value;
    case 'user':
      return who.user === s.value;
    case 'team':
      return who.team === s.value;
    case 'project':
      return who.project === s.value;
    case 'provider':
      return who.provider === s.value;
    case 'model':
      return globMatch(s.value, who.model);
    case 'tag': {
      const eq = s.value.indexOf('=');
      return who.tags[s.value.slice(0, eq)] === s.value.slice(eq + 1);
    }
  }
}

/** Scopes that name who is calling (model rules and `/me` use these). */
export function isIdentityScope(s: Scope): boolean {
  return s.kind === 'org' || s.kind === 'key' || s.kind === 'user' || s.kind === 'team' || s.kind === 'project';
}
