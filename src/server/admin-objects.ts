import type { IncomingMessage, ServerResponse } from 'node:http';
import { closest } from '../core/closest.js';
import type { Dialect } from '../core/api.js';
import { NotRecorded, OwnedAlready, assignObjects, forgetObjects, showObjects } from '../gateway/objects/assignments.js';
import type { ObjectOwner } from '../identity/stored-objects.js';
import type { Storage } from '../storage/ports.js';
import { checkParams } from './admin-query.js';
import { decodeId } from './admin-policy.js';
import { readJson, sendAdminError, sendJson } from './json-response.js';

export interface ObjectsAdminDeps {
  storage: Storage;
  /** The gateway's configured providers, for `provider`. */
  providers?: readonly { name: string; dialect: Dialect }[];
  /** This gateway's owners in memory, told of a change at once (the others read it from storage within 2 s). */
  objects?: { assigned(id: string, owner: ObjectOwner | undefined): void };
}

const ACTOR = 'admin-api';
const FIELDS = ['ids', 'key', 'team', 'provider', 'force'] as const;

/** Whether `sub` (the path after /admin/v1) is one of the stored objects' routes. */
export function isObjectsRoute(sub: string): boolean {
  return sub === '/objects/assign' || /^\/objects\/.+/.test(sub);
}

/**
 * `POST /objects/assign`, `GET /objects/{id}`, `DELETE /objects/{id}`: the owners `tollgate objects`
 * sets, shows and forgets. An id's `/` (a Gemini name, `files/abc`) may be written as it is or as `%2F`.
 */
export async function handleObjectsAdmin(deps: ObjectsAdminDeps, req: IncomingMessage, res: ServerResponse, sub: string, query: URLSearchParams): Promise<void> {
  const method = req.method ?? 'GET';
  try {
    if (sub === '/objects/assign' && method === 'POST') {
      checkParams(query, 'POST /admin/v1/objects/assign', []);
      const body = assignBody(await readJson(req));
      const context = { storage: deps.storage, actor: ACTOR, now: Date.now(), providers: deps.providers ?? [], say: (f: string, v?: string) => (f === 'force' ? '"force": true' : v === undefined ? `"${f}"` : `"${f}": ${JSON.stringify(v)}`) };
      const done = await assignObjects(context, body);
      for (const v of done) if (v.changed && v.owner) deps.objects?.assigned(v.id, { keyId: v.owner.key_id, team: v.owner.team });
      return sendJson(res, 200, { data: done });
    }
    const id = decodeId(sub.slice('/objects/'.length));
    if (method === 'GET') {
      checkParams(query, 'GET /admin/v1/objects/{id}', []);
      const [view] = await showObjects(deps.storage, [id]);
      if (view!.owner === null) return sendAdminError(res, 404, 'not_found', `No owner is recorded for ${view!.id}: no key may use it under auth.stored_objects team or key.`);
      return sendJson(res, 200, view);
    }
    if (method === 'DELETE') {
      checkParams(query, 'DELETE /admin/v1/objects/{id}', []);
      const [gone] = await forgetObjects({ storage: deps.storage, actor: ACTOR, now: Date.now() }, [id]);
      deps.objects?.assigned(gone!.id, undefined);
      return sendJson(res, 200, gone);
    }
    return sendAdminError(res, 404, 'not_found', `No admin route ${method} /admin/v1${sub}.`);
  } catch (err) {
    if (err instanceof OwnedAlready) return sendAdminError(res, 409, 'conflict', err.message);
    if (err instanceof NotRecorded) return sendAdminError(res, 404, 'not_found', err.message);
    throw err;
  }
}

/** An assignment's body: known fields only, each of its type (a misspelt `tema` would otherwise give the objects to no one). */
function assignBody(body: unknown): { ids: string[]; key?: string; team?: string; provider?: string; force?: boolean } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RangeError(`the body must be a JSON object with ${FIELDS.join(', ')}`);
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    const named = unknown.map((k) => `unknown field "${k}"${closest(k, FIELDS) ? ` (did you mean "${closest(k, FIELDS)}"?)` : ''}`);
    throw new RangeError(`${named.join('; ')}; an assignment takes ${FIELDS.join(', ')}`);
  }
  if (!Array.isArray(b.ids) || b.ids.some((id) => typeof id !== 'string')) throw new RangeError('ids must be a list of object ids (strings)');
  const text = (k: 'key' | 'team' | 'provider'): string | undefined => {
    const v = b[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new RangeError(`${k} must be a string`);
    return v;
  };
  if (b.force !== undefined && b.force !== null && typeof b.force !== 'boolean') throw new RangeError('force must be true or false');
  return { ids: b.ids as string[], key: text('key'), team: text('team'), provider: text('provider'), force: b.force === true };
}
