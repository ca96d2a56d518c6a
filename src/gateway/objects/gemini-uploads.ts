import { createHash } from 'node:crypto';
import { byteSize } from '../../core/count-text.js';
import { GatewayError } from '../../core/errors.js';
import type { Identity } from '../../identity/identify.js';
import { type ObjectOwner, ownerOf } from '../../identity/stored-objects.js';
import { type UploadRequest, gatewayUploadUrl, readUploadRequest } from '../../providers/gemini/uploads.js';
import type { HeaderBag } from '../../providers/types.js';
import type { ObjectOwners } from './owners.js';
import type { Headers } from '../relay.js';

/**
 * The id a Gemini upload's owner is recorded under, beside the stored objects' (stored_objects):
 * its `upload_id` hashed. The upload_id is a capability (Google takes a file's bytes from whoever
 * holds its upload URL, with no key), so it is kept out of storage.
 */
export function uploadSessionId(uploadId: string): string {
  return `gemini-upload:${createHash('sha256').update(uploadId).digest('hex')}`;
}

export interface GeminiUpload {
  request: UploadRequest;
  /** The bytes this request may carry: server.max_upload_mb, less those of the file before its offset. */
  room: number;
}

/**
 * Before a request to Gemini's upload path goes upstream. One that goes on with an upload (its
 * `upload_id`) is refused, 404 `object_not_owned`, unless the key that started the upload sends it:
 * the upload URL is a capability the gateway gave that key alone. A caller's own provider key may
 * go on with any upload but one a Tollgate key started (its own are in its own account). A start
 * declaring a file larger than `limit` (server.max_upload_mb) is refused 413, as is a chunk whose
 * offset is past it: the limit holds for the whole file, not each of its chunks.
 */
export async function admitGeminiUpload(objects: ObjectOwners | undefined, who: Identity, headers: HeaderBag, query: URLSearchParams, limit: number): Promise<GeminiUpload> {
  const request = readUploadRequest(headers, query);
  if (request.uploadId !== undefined && objects) await checkSession(objects, who, request.uploadId);
  const size = request.declaredSize ?? request.offset;
  if (size > limit) {
    const what = request.declaredSize !== undefined ? 'The file to upload (X-Goog-Upload-Header-Content-Length' : 'The upload, at this offset (X-Goog-Upload-Offset';
    throw new GatewayError('body_too_large', `${what}: ${byteSize(size)}) is larger than this gateway's limit of ${byteSize(limit)} (server.max_upload_mb).`);
  }
  return { request, room: limit - request.offset };
}

async function checkSession(objects: ObjectOwners, who: Identity, uploadId: string): Promise<void> {
  const id = uploadSessionId(uploadId);
  const caller = ownerOf(who);
  // A caller's own key does not wait for an owner being written: it needs none.
  const owner = (await objects.owners([id], caller !== undefined, 'started this upload', caller)).get(id);
  if (caller === undefined ? owner === undefined : owner !== undefined && owner.keyId === caller.keyId) return;
  throw new GatewayError('object_not_owned', 'No upload with this upload_id found: it was not started through Tollgate by this key, and an upload takes its bytes only from the key that started it. Nothing was sent to the provider.');
}

/** What rewriting an upload's answer needs. */
export interface UploadAnswer {
  objects: ObjectOwners | undefined;
  /** Whose upload it is (unset for a caller's own provider key). */
  owner: ObjectOwner | undefined;
  request: UploadRequest;
  providerBase: string;
  /** The gateway as the client reached it (../gateway-base.ts). */
  gatewayBase: string;
  /** The client's key, when it sent it as `?key=` (it goes in the upload URL given back). */
  clientKey: string | undefined;
}

/** The headers that give a client an upload URL: Google's, and a control URL some uploads answer with too. */
const UPLOAD_URLS = ['x-goog-upload-url', 'x-goog-upload-control-url'];

/**
 * The edit of an upload's answer (relay's editHeaders): an upload URL the provider gives is pointed
 * at the gateway (gatewayUploadUrl), and its upload is its starter's from then on, known here before
 * the client has the URL, and in storage, for the other gateways, soon after. The answer that ends
 * an upload (`x-goog-upload-status: final` or `cancelled`) forgets it.
 */
export function uploadAnswer(x: UploadAnswer): (status: number, headers: Headers) => void {
  return (status, headers) => {
    if (status < 200 || status >= 300) return;
    for (const name of UPLOAD_URLS) {
      const given = first(headers[name]);
      if (given === undefined) continue;
      const url = gatewayUploadUrl(given, x.providerBase, x.gatewayBase, x.clientKey);
      // Not passed on unread: it could hold a key.
      if (url === undefined) delete headers[name];
      else headers[name] = url;
      const id = url === undefined ? null : new URL(url).searchParams.get('upload_id');
      if (id !== null && id !== '' && x.owner) x.objects?.made([{ id: uploadSessionId(id), api: 'gemini.files', keyId: x.owner.keyId, team: x.owner.team, createdAt: Date.now() }]);
    }
    const state = first(headers['x-goog-upload-status']);
    if (x.request.uploadId !== undefined && (state === 'final' || state === 'cancelled')) x.objects?.gone([uploadSessionId(x.request.uploadId)]);
  };
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
