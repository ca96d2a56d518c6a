import type { Dispatcher } from 'undici';
import { request } from '../egress/undici-core.js';
import { type JsonObject, asObject, parseJson } from '../providers/shared/json.js';
import { errorMessage } from '../core/errors.js';

/** A provider's answer to a GET the gateway sends of its own accord (the background sweeps). */
export type Asked =
  /** 200: the body is the caller's to read. */
  | { kind: 'answer'; body: Dispatcher.ResponseData['body'] }
  /** 404, 401 or 403: the provider does not know the thing under this key. */
  | { kind: 'unknown' }
  /** No answer, or another status: ask again later. */
  | { kind: 'failed'; reason: string };

/** How long one ask may take, body included. */
export const ASK_TIMEOUT_MS = 30_000;

export async function askUpstream(agent: Dispatcher, url: string, headers: Record<string, string>, timeoutMs = ASK_TIMEOUT_MS): Promise<Asked> {
  let res: Dispatcher.ResponseData;
  try {
    const u = new URL(url);
    res = await request(agent, { origin: u.origin, path: u.pathname + u.search, method: 'GET', headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    return { kind: 'failed', reason: errorMessage(err) };
  }
  if (res.statusCode === 200) return { kind: 'answer', body: res.body };
  await res.body.dump().catch(() => undefined);
  return res.statusCode === 404 || res.statusCode === 401 || res.statusCode === 403 ? { kind: 'unknown' } : { kind: 'failed', reason: `HTTP ${res.statusCode}` };
}

/** A GET whose 200 answer is a JSON object. */
export async function askJson(agent: Dispatcher, url: string, headers: Record<string, string>, timeoutMs?: number): Promise<{ kind: 'json'; body: JsonObject } | Exclude<Asked, { kind: 'answer' }>> {
  const asked = await askUpstream(agent, url, { ...headers, accept: 'application/json' }, timeoutMs);
  if (asked.kind !== 'answer') return asked;
  let text: string;
  try {
    text = await asked.body.text();
  } catch (err) {
    return { kind: 'failed', reason: errorMessage(err) };
  }
  const body = asObject(parseJson(text));
  return body === undefined ? { kind: 'failed', reason: 'the answer is not a JSON object' } : { kind: 'json', body };
}
