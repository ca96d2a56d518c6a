import { createHash, randomBytes } from 'node:crypto';
import { errorReply } from './errors.js';
import { jsonHeaders } from './headers.js';
import { type BuildInput, type Reply, isRecord, jsonReply, pretty, str } from './reply.js';

type Json = Record<string, unknown>;

interface Upload {
  meta: Json;
  mimeType: string;
  chunks: Buffer[];
  received: number;
}

interface Store {
  /** By name (`files/…`), oldest first. */
  files: Map<string, Json>;
  /** Each file's bytes, by name: what a batch made from the file reads (gemini-batches.ts). */
  bytes: Map<string, Buffer>;
  uploads: Map<string, Upload>;
}

/** Files and uploads by the fake they were made on (its host): each fake lists its own. */
const STORES = new Map<string, Store>();
const UPLOAD_PATH = '/upload/v1beta/files';
// Under `/v1` too (the SDK's `apiVersion: 'v1'`); uploads stay under `/upload/v1beta`, where the SDK sends them whatever its version.
const FILE_PATH = /^\/v1(?:beta)?\/files(?:\/([^/:]+))?$/;
/** Google asks for chunks in multiples of 8 MiB (`x-goog-upload-chunk-granularity`). */
const GRANULARITY = String(8 * 1024 * 1024);

/** The route name of a Gemini Files API path, or undefined. */
export function geminiFileRoute(method: string, path: string, query: Readonly<Record<string, string>>): string | undefined {
  if (path === UPLOAD_PATH) return method !== 'POST' && method !== 'PUT' ? undefined : query.upload_id !== undefined ? 'gemini.files.upload' : 'gemini.files.start';
  const m = FILE_PATH.exec(path);
  if (m === null) return undefined;
  if (m[1] === undefined) return method === 'GET' ? 'gemini.files.list' : undefined;
  return method === 'GET' ? 'gemini.files.get' : method === 'DELETE' ? 'gemini.files.delete' : undefined;
}

/**
 * Gemini's Files API as the genai SDK speaks it. A resumable start (`X-Goog-Upload-Protocol:
 * resumable`, `X-Goog-Upload-Command: start`, the metadata `{"file": {…}}`) answers with no body and
 * `x-goog-upload-url` (this fake's own Host, `/upload/v1beta/files?upload_id=…&upload_protocol=resumable`);
 * the bytes go there (POST or PUT) with `X-Goog-Upload-Command` `upload` (answered `x-goog-upload-status:
 * active`), `upload, finalize` (the last: `final`, and `{"file": File}`), `query` or `cancel`, each at its
 * `X-Goog-Upload-Offset`, which must be the bytes received so far (else a 400). A start without the
 * resumable protocol is a whole file in one body. Listed newest first (`pageSize`, `pageToken`), read,
 * deleted; an unknown name or upload is a 404 `NOT_FOUND`, a name taken a 409.
 */
export function buildGeminiFiles(input: BuildInput): Reply {
  const { req } = input;
  const route = geminiFileRoute(req.method, req.path, req.query)!;
  const host = req.headers.host ?? '127.0.0.1';
  const store = STORES.get(host) ?? { files: new Map(), bytes: new Map(), uploads: new Map() };
  STORES.set(host, store);
  const ok = (value: unknown, headers: Record<string, string> = {}) => jsonReply({ ...jsonHeaders('gemini'), ...headers }, pretty(value));
  const fail = (status: number, message: string) => errorReply('gemini', status, { message }, input.requestId);
  if (route === 'gemini.files.start') {
    const meta = isRecord(input.body.file) ? input.body.file : {};
    const mimeType = str(req.headers['x-goog-upload-header-content-type']) ?? str(meta.mimeType) ?? req.headers['content-type'] ?? 'application/octet-stream';
    if (req.headers['x-goog-upload-protocol'] !== 'resumable') return make(store, {}, mimeType, req.body, ok, fail);
    if (req.headers['x-goog-upload-command'] !== 'start') return fail(400, 'Resumable uploads start with X-Goog-Upload-Command: start.');
    const id = `AHxI1nP${randomBytes(24).toString('base64url')}`;
    store.uploads.set(id, { meta, mimeType, chunks: [], received: 0 });
    const url = `http://${host}${UPLOAD_PATH}?upload_id=${id}&upload_protocol=resumable`;
    return { status: 200, headers: { 'x-goog-upload-url': url, 'x-goog-upload-status': 'active', 'x-goog-upload-chunk-granularity': GRANULARITY, 'x-guploader-uploadid': id, 'content-type': 'text/plain; charset=utf-8' }, pieces: [], stream: false };
  }
  if (route === 'gemini.files.upload') {
    const id = req.query.upload_id!;
    const upload = store.uploads.get(id);
    if (upload === undefined) return fail(404, 'No upload with this upload_id.');
    const commands = (req.headers['x-goog-upload-command'] ?? '').split(',').map((c) => c.trim());
    const status = (state: string) => ({ 'x-goog-upload-status': state, 'x-goog-upload-size-received': String(upload.received) });
    if (commands.includes('query')) return { status: 200, headers: status('active'), pieces: [], stream: false };
    if (commands.includes('cancel')) {
      store.uploads.delete(id);
      return { status: 200, headers: status('cancelled'), pieces: [], stream: false };
    }
    if (Number(req.headers['x-goog-upload-offset']) !== upload.received) return fail(400, `Invalid X-Goog-Upload-Offset: ${upload.received} bytes were received.`);
    upload.chunks.push(req.body);
    upload.received += req.body.length;
    if (!commands.includes('finalize')) return { status: 200, headers: status('active'), pieces: [], stream: false };
    store.uploads.delete(id);
    return make(store, upload.meta, upload.mimeType, Buffer.concat(upload.chunks), (v) => ok(v, status('final')), fail);
  }
  if (route === 'gemini.files.list') {
    const all = [...store.files.values()].reverse();
    const size = Math.min(Number(req.query.pageSize ?? 10) || 10, 100);
    const from = req.query.pageToken === undefined ? 0 : Number(Buffer.from(req.query.pageToken, 'base64url').toString());
    const page = all.slice(from, from + size);
    const next = from + size < all.length ? Buffer.from(String(from + size)).toString('base64url') : undefined;
    return ok({ ...(page.length > 0 ? { files: page } : {}), ...(next === undefined ? {} : { nextPageToken: next }) });
  }
  const name = `files/${decodeURIComponent(FILE_PATH.exec(req.path)![1]!)}`;
  const file = store.files.get(name);
  if (file === undefined) return fail(404, `File ${name.slice('files/'.length)} is not found or permission denied.`);
  if (route === 'gemini.files.delete') {
    store.files.delete(name);
    store.bytes.delete(name);
    return ok({});
  }
  return ok(file);
}

/** A file made from its bytes: its name the one asked for (`files/…`) or a new one. */
function make(store: Store, meta: Json, mimeType: string, bytes: Buffer, ok: (v: unknown) => Reply, fail: (status: number, message: string) => Reply): Reply {
  const asked = str(meta.name);
  const name = asked === undefined ? `files/${randomBytes(6).toString('hex')}` : asked.startsWith('files/') ? asked : `files/${asked}`;
  if (store.files.has(name)) return fail(409, `File ${name} already exists.`);
  const now = Date.now();
  const file: Json = {
    name,
    ...(str(meta.displayName) === undefined ? {} : { displayName: meta.displayName }),
    mimeType,
    sizeBytes: String(bytes.length),
    createTime: new Date(now).toISOString(),
    updateTime: new Date(now).toISOString(),
    expirationTime: new Date(now + 48 * 3_600_000).toISOString(),
    sha256Hash: createHash('sha256').update(bytes).digest('base64'),
    uri: `https://generativelanguage.googleapis.com/v1beta/${name}`,
    state: 'ACTIVE',
    source: 'UPLOADED',
  };
  store.files.set(name, file);
  store.bytes.set(name, bytes);
  return ok({ file });
}

/** The bytes of a file uploaded to the fake at `host` (its Host header), as Gemini keeps them for a batch to read. */
export function uploadedGeminiFile(host: string, name: string): Buffer | undefined {
  return STORES.get(host)?.bytes.get(name);
}
