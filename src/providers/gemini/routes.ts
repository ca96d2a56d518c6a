import { type PathMatch, type RouteLookup, type RouteSpec, decodeSegment, lookupIn } from '../shared/routes.js';

/**
 * `/v1beta/models/{model}:{method}`, or `/v1beta/tunedModels/{id}:{method}`: the SDK sends a
 * name given as `models/x` under `models/`, and one given as `tunedModels/x` under `tunedModels/`.
 * The same under `/v1`, the stable API version (the SDK's `apiVersion: 'v1'`).
 */
const MODEL_METHOD = /^\/v1(?:beta)?\/(models|tunedModels)\/([^/]+):([A-Za-z]+)$/;

/** `/v1beta/models`, `/v1beta/models/{model}` and the same under `tunedModels` and `/v1`. */
const MODEL_RESOURCE = /^\/v1(?:beta)?\/(models|tunedModels)(?:\/([^/:]+))?$/;

/** The model (URL-decoded) when the path is `/v1beta/models/{model}:{method}`; a tuned model keeps its `tunedModels/` prefix. */
function modelMethod(method: string, streamByPath: boolean): (pathname: string) => PathMatch | undefined {
  return (pathname) => {
    const m = MODEL_METHOD.exec(pathname);
    if (m === null || m[3] !== method || m[2] === undefined) return undefined;
    const model = modelName(m[1]!, m[2]);
    return model === undefined ? undefined : { model, streamByPath };
  };
}

/** A model's own resource (its model is the one named), or the list (no model). */
function modelResource(pathname: string): PathMatch | undefined {
  const m = MODEL_RESOURCE.exec(pathname);
  if (m === null) return undefined;
  if (m[2] === undefined) return {};
  const model = modelName(m[1]!, m[2]);
  return model === undefined ? undefined : { model };
}

function modelName(collection: string, segment: string): string | undefined {
  const id = decodeSegment(segment);
  if (id === undefined) return undefined;
  return collection === 'tunedModels' ? `tunedModels/${id}` : id;
}

/** `/v1beta/cachedContents/{id}`: one explicit cache (its name names no model); its resource is the cache's name, `cachedContents/{id}`. */
function cachedContent(pathname: string): PathMatch | undefined {
  const m = /^\/v1beta\/cachedContents\/([^/:]+)$/.exec(pathname);
  const id = m === null ? undefined : decodeSegment(m[1]!);
  return id === undefined ? undefined : { resourceId: `cachedContents/${id}` };
}

/** `/{version}/files/{id}`: one uploaded file; its resource is the file's name, `files/{id}`. */
function file(version: string): (pathname: string) => PathMatch | undefined {
  const re = new RegExp(`^/${version}/files/([^/:]+)$`);
  return (pathname) => {
    const m = re.exec(pathname);
    const id = m === null ? undefined : decodeSegment(m[1]!);
    return id === undefined ? undefined : { resourceId: `files/${id}` };
  };
}

/**
 * Where a file's bytes are uploaded (`media.upload`): a resumable upload's start, and each of its
 * chunks at the upload URL the start's answer gives (the same path with an `upload_id`; some
 * clients PUT them), or a whole file at once. Streamed, never read (gateway/upload.ts).
 */
const UPLOAD_PATH = '/upload/v1beta/files';

/** `/{version}/batches/{id}` and `…:{method}`: one batch; its resource is the batch's name, `batches/{id}`. */
function batch(version: string, method: string): (pathname: string) => PathMatch | undefined {
  const re = new RegExp(`^/${version}/batches/([^/:]+)(?::([A-Za-z]+))?$`);
  return (pathname) => {
    const m = re.exec(pathname);
    const id = m === null || m[2] !== (method || undefined) ? undefined : decodeSegment(m[1]!);
    return id === undefined ? undefined : { resourceId: `batches/${id}` };
  };
}

/** `/v1beta/interactions` or `/v1/interactions`: where the Interactions API creates one (the SDK's `api_version`). */
function interactions(pathname: string): PathMatch | undefined {
  return /^\/v1(?:beta)?\/interactions$/.test(pathname) ? {} : undefined;
}

/** `/{version}/interactions/{id}` and its `/cancel`: one interaction; its resource is its id, as the answer that made it gives it. */
function interaction(suffix: string): (pathname: string) => PathMatch | undefined {
  return (pathname) => {
    const m = /^\/v1(?:beta)?\/interactions\/([^/:]+)(\/cancel)?$/.exec(pathname);
    const id = m === null || (m[2] ?? '') !== suffix ? undefined : decodeSegment(m[1]!);
    return id === undefined ? undefined : { resourceId: id };
  };
}

export const GEMINI_ROUTES: readonly RouteSpec[] = [
  { api: 'gemini.generate', method: 'POST', path: modelMethod('generateContent', false) },
  { api: 'gemini.generate', method: 'POST', path: modelMethod('streamGenerateContent', true) },
  { api: 'gemini.count_tokens', method: 'POST', path: modelMethod('countTokens', false) },
  { api: 'gemini.embed', method: 'POST', path: modelMethod('embedContent', false) },
  { api: 'gemini.embed', method: 'POST', path: modelMethod('batchEmbedContents', false) },
  { api: 'gemini.models', method: 'GET', path: modelResource, noBody: true },
  // Explicit caching: creating one is billed (storage, by the hour); listing, reading, extending and deleting are not.
  { api: 'gemini.caches', method: 'POST', path: '/v1beta/cachedContents' },
  { api: 'gemini.caches_lookup', method: 'GET', path: '/v1beta/cachedContents', noBody: true },
  { api: 'gemini.caches_lookup', method: 'GET', path: cachedContent, noBody: true },
  { api: 'gemini.caches_lookup', method: 'PATCH', path: cachedContent },
  { api: 'gemini.caches_lookup', method: 'DELETE', path: cachedContent, noBody: true },
  // The Files API: Google bills no fee per file (a file expires after 48 hours); the requests that use one are billed.
  { api: 'gemini.files', method: 'POST', path: UPLOAD_PATH, rawBody: true },
  { api: 'gemini.files', method: 'PUT', path: UPLOAD_PATH, rawBody: true },
  { api: 'gemini.files', method: 'GET', path: '/v1beta/files', noBody: true },
  { api: 'gemini.files', method: 'GET', path: file('v1beta'), noBody: true },
  { api: 'gemini.files', method: 'DELETE', path: file('v1beta'), noBody: true },
  // The Batch API: its own requests are free; what its requests cost is billed from its results (metering/batch-results.ts).
  { api: 'gemini.batches', method: 'POST', path: modelMethod('batchGenerateContent', false) },
  { api: 'gemini.batches', method: 'POST', path: modelMethod('asyncBatchEmbedContent', false) },
  { api: 'gemini.batches', method: 'GET', path: '/v1beta/batches', noBody: true },
  { api: 'gemini.batches', method: 'GET', path: batch('v1beta', ''), noBody: true },
  { api: 'gemini.batches', method: 'DELETE', path: batch('v1beta', ''), noBody: true },
  { api: 'gemini.batches', method: 'POST', path: batch('v1beta', 'cancel'), noBody: true },
  // The SDK's `apiVersion: 'v1'` sends the lookups of files and batches under `/v1`, where OpenAI's Files and
  // Batches APIs are: they are Gemini's only when the request says so (its key in `x-goog-api-key` or `?key=`,
  // see `preferredDialects`), and go upstream as sent, Google answering what its stable version serves.
  { api: 'gemini.files', method: 'GET', path: '/v1/files', noBody: true, firstOnly: true },
  { api: 'gemini.files', method: 'GET', path: file('v1'), noBody: true, firstOnly: true },
  { api: 'gemini.files', method: 'DELETE', path: file('v1'), noBody: true, firstOnly: true },
  { api: 'gemini.batches', method: 'GET', path: '/v1/batches', noBody: true, firstOnly: true },
  { api: 'gemini.batches', method: 'GET', path: batch('v1', ''), noBody: true, firstOnly: true },
  { api: 'gemini.batches', method: 'DELETE', path: batch('v1', ''), noBody: true, firstOnly: true },
  { api: 'gemini.batches', method: 'POST', path: batch('v1', 'cancel'), noBody: true, firstOnly: true },
  // The Interactions API: a create is billed from the usage its answer reports; a lookup (streamed with `?stream=true`), cancel or delete is not.
  { api: 'gemini.interactions', method: 'POST', path: interactions },
  { api: 'gemini.interactions_lookup', method: 'GET', path: interaction(''), noBody: true, streamQuery: 'stream' },
  { api: 'gemini.interactions_lookup', method: 'DELETE', path: interaction(''), noBody: true },
  { api: 'gemini.interactions_lookup', method: 'POST', path: interaction('/cancel'), noBody: true },
];

export function lookupGeminiRoute(method: string, pathname: string, first = true): RouteLookup {
  return lookupIn('gemini', GEMINI_ROUTES, method, pathname, first);
}
