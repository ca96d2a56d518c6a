import { randomBytes } from 'node:crypto';
import { errorReply } from './errors.js';
import { jsonHeaders } from './headers.js';
import { type BuildInput, type Reply, isRecord, jsonReply, pretty, str } from './reply.js';

type Json = Record<string, unknown>;

/** Caches made through any fake in this process (names are random, so two fakes never share one). */
const CACHES = new Map<string, Json>();
const CACHE_PATH = /^\/v1beta\/cachedContents(?:\/([^/:]+))?$/;

/** The route name of a Gemini explicit-cache path, or undefined. */
export function geminiCacheRoute(method: string, path: string): string | undefined {
  const m = CACHE_PATH.exec(path);
  if (m === null) return undefined;
  if (m[1] === undefined) return method === 'POST' ? 'gemini.caches.create' : method === 'GET' ? 'gemini.caches.list' : undefined;
  return method === 'GET' ? 'gemini.caches.get' : method === 'PATCH' ? 'gemini.caches.update' : method === 'DELETE' ? 'gemini.caches.delete' : undefined;
}

/**
 * Gemini's explicit caches (`CachedContent`): created with `usageMetadata.totalTokenCount` (the
 * scenario's input, or the body's bytes / 4), its `ttl` (default 3600s) setting `expireTime`;
 * listed, read, extended (a new `ttl`) and deleted. An unknown name is a 404 `NOT_FOUND`.
 */
export function buildGeminiCaches(input: BuildInput): Reply {
  const { req, body, scenario } = input;
  const route = geminiCacheRoute(req.method, req.path)!;
  const ok = (value: unknown) => jsonReply(jsonHeaders('gemini'), pretty(value));
  if (route === 'gemini.caches.create') {
    const now = Date.now();
    const name = `cachedContents/${randomBytes(6).toString('hex')}`;
    const cache: Json = {
      name,
      model: str(body.model) ?? 'models/unknown',
      createTime: new Date(now).toISOString(),
      updateTime: new Date(now).toISOString(),
      expireTime: new Date(now + ttlMs(body.ttl)).toISOString(),
      ...(str(body.displayName) === undefined ? {} : { displayName: body.displayName }),
      usageMetadata: { totalTokenCount: scenario.usage?.input ?? Math.ceil(req.body.length / 4) },
    };
    CACHES.set(name, cache);
    return ok(cache);
  }
  if (route === 'gemini.caches.list') return ok({ cachedContents: [...CACHES.values()] });
  const name = `cachedContents/${decodeURIComponent(CACHE_PATH.exec(req.path)![1]!)}`;
  const cache = CACHES.get(name);
  if (cache === undefined) return errorReply('gemini', 404, { message: `CachedContent not found (or permission denied)` }, input.requestId);
  if (route === 'gemini.caches.delete') {
    CACHES.delete(name);
    return ok({});
  }
  if (route === 'gemini.caches.update' && isRecord(body) && body.ttl !== undefined) {
    Object.assign(cache, { expireTime: new Date(Date.now() + ttlMs(body.ttl)).toISOString(), updateTime: new Date().toISOString() });
  }
  return ok(cache);
}

function ttlMs(ttl: unknown): number {
  const m = typeof ttl === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(ttl) : null;
  return m ? Number(m[1]) * 1000 : 3_600_000;
}
