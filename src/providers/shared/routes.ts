import type { Api, Dialect } from '../../core/api.js';
import type { RouteMatch } from '../types.js';

export type HttpMethod = RouteMatch['method'];

/** What a path carries besides its API: Gemini puts the model and the stream flag there. */
export interface PathMatch {
  model?: string;
  streamByPath?: boolean;
  resourceId?: string;
  partId?: string;
}

export interface RouteSpec {
  api: Api;
  method: HttpMethod;
  noBody?: boolean;
  /** See RouteMatch.streamQuery. */
  streamQuery?: string;
  /** See RouteMatch.rawBody. */
  rawBody?: boolean;
  /**
   * Matched only when the request is this dialect's first (its headers claim no other): a path
   * another provider has too (Anthropic's Files API is also `/v1/files`) that Tollgate serves
   * for this dialect alone.
   */
  firstOnly?: boolean;
  /** The exact pathname, or a parser for a templated one (undefined when it does not match). */
  path: string | ((pathname: string) => PathMatch | undefined);
}

/**
 * The result of looking a request up in the route tables. A known path asked with the
 * wrong method is told apart from an unknown path, so the gateway can answer 405 with
 * an `Allow` header instead of 404.
 */
export type RouteLookup =
  | { kind: 'match'; route: RouteMatch }
  | { kind: 'wrong_method'; allow: readonly HttpMethod[] }
  | { kind: 'unknown' };

/**
 * A path segment URL-decoded; undefined when it is empty or badly encoded, or when the upstream
 * URL's parser (WHATWG) would not pass it on as written: a raw `\`, which it reads as `/`, `.`
 * and `..` in any encoding (`%2e%2e`), which it resolves away, or a raw `#`, after which it cuts
 * the path off. Each would send the request, with the provider's key, to another path than its
 * route's: `/v1/models/..\..\admin` to `/admin`, `/v1/files/a#b` to `/v1/files/a`. So is one
 * that decodes to a path with such a step (`..%2F..%2Fadmin`): passed on encoded, but a server
 * or proxy upstream that decodes `%2F` before it routes would resolve it.
 */
export function decodeSegment(segment: string): string | undefined {
  if (segment.includes('\\') || segment.includes('#')) return undefined;
  try {
    const s = decodeURIComponent(segment);
    return s === '' || s.split(/[/\\]/).some((step) => step === '.' || step === '..') ? undefined : s;
  } catch {
    return undefined;
  }
}

/** `{base}/{id}{suffix}`: one resource (a batch, a file), or one of its sub-resources; the id URL-decoded. */
export function resourceAt(base: string, suffix: string): (pathname: string) => PathMatch | undefined {
  return (pathname) => {
    if (!pathname.startsWith(`${base}/`) || !pathname.endsWith(suffix)) return undefined;
    const segment = pathname.slice(base.length + 1, pathname.length - suffix.length);
    const resourceId = segment.includes('/') ? undefined : decodeSegment(segment);
    return resourceId === undefined ? undefined : { resourceId };
  };
}

/**
 * `{base}/{id}/{sub}/{subId}{suffix}`: one of a resource's own objects (a skill's version); the
 * resource's id is the route's (the object is its resource's, and so is its owner), the object's its
 * `partId`, both URL-decoded.
 */
export function subResourceAt(base: string, sub: string, suffix: string): (pathname: string) => PathMatch | undefined {
  return (pathname) => {
    if (!pathname.startsWith(`${base}/`) || !pathname.endsWith(suffix)) return undefined;
    const rest = pathname.slice(base.length + 1, pathname.length - suffix.length).split('/');
    const partId = rest.length === 3 && rest[1] === sub ? decodeSegment(rest[2]!) : undefined;
    const resourceId = partId === undefined ? undefined : decodeSegment(rest[0]!);
    return resourceId === undefined ? undefined : { resourceId, partId };
  };
}

/** `{prefix}{model}`, one segment after the prefix: the model (URL-decoded) the request is about (GET /v1/models/{model}). */
export function modelAfter(prefix: string): (pathname: string) => PathMatch | undefined {
  return (pathname) => {
    if (!pathname.startsWith(prefix)) return undefined;
    const segment = pathname.slice(prefix.length);
    const model = segment.includes('/') ? undefined : decodeSegment(segment);
    return model === undefined ? undefined : { model };
  };
}

export function lookupIn(dialect: Dialect, specs: readonly RouteSpec[], method: string, pathname: string, first = true): RouteLookup {
  const allow: HttpMethod[] = [];
  for (const spec of specs) {
    if (spec.firstOnly && !first) continue;
    const found = typeof spec.path === 'string' ? (spec.path === pathname ? {} : undefined) : spec.path(pathname);
    if (found === undefined) continue;
    if (spec.method !== method) {
      if (!allow.includes(spec.method)) allow.push(spec.method);
      continue;
    }
    const route: RouteMatch = { api: spec.api, dialect, method: spec.method, ...found };
    if (spec.noBody) route.noBody = true;
    if (spec.streamQuery !== undefined) route.streamQuery = spec.streamQuery;
    if (spec.rawBody) route.rawBody = true;
    return { kind: 'match', route };
  }
  return allow.length > 0 ? { kind: 'wrong_method', allow } : { kind: 'unknown' };
}

/** Combines lookups from several tables: a match wins, then a wrong method, then unknown. */
export function mergeLookups(lookups: readonly RouteLookup[]): RouteLookup {
  const allow: HttpMethod[] = [];
  for (const l of lookups) {
    if (l.kind === 'match') return l;
    if (l.kind === 'wrong_method') for (const m of l.allow) if (!allow.includes(m)) allow.push(m);
  }
  return allow.length > 0 ? { kind: 'wrong_method', allow } : { kind: 'unknown' };
}
