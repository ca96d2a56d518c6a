import { randomBytes } from 'node:crypto';
import { errorReply } from './errors.js';
import { jsonHeaders } from './headers.js';
import { formParts } from './openai-batches.js';
import { type BuildInput, type Reply, jsonReply } from './reply.js';

interface StoredFile {
  id: string;
  filename: string;
  mimeType: string;
  bytes: Buffer;
}

const FILES = new Map<string, StoredFile>();
const FILE_PATH = /^\/v1\/files(?:\/([^/]+)(\/content)?)?$/;

/** The route name of an Anthropic Files API path, or undefined. */
export function anthropicFileRoute(method: string, path: string): string | undefined {
  const m = FILE_PATH.exec(path);
  if (m === null) return undefined;
  if (m[1] === undefined) return method === 'POST' ? 'anthropic.files.upload' : method === 'GET' ? 'anthropic.files.list' : undefined;
  if (m[2] !== undefined) return method === 'GET' ? 'anthropic.files.download' : undefined;
  return method === 'GET' ? 'anthropic.files.retrieve' : method === 'DELETE' ? 'anthropic.files.delete' : undefined;
}

/** Anthropic's Files API (beta): a multipart upload is kept; metadata, list, download and delete answer from it. */
export function buildAnthropicFiles(input: BuildInput): Reply {
  const { req } = input;
  const route = anthropicFileRoute(req.method, req.path)!;
  const json = (body: unknown) => jsonReply(jsonHeaders('anthropic'), JSON.stringify(body));
  if (route === 'anthropic.files.upload') {
    const file = formParts(req.headers['content-type'], req.body).get('file');
    if (file === undefined) return errorReply('anthropic', 400, { type: 'invalid_request_error', message: 'file: a multipart part named file is required' }, input.requestId);
    const stored: StoredFile = { id: `file_011${randomBytes(10).toString('hex')}`, filename: file.filename ?? 'upload', mimeType: 'text/plain', bytes: Buffer.from(file.data) };
    FILES.set(stored.id, stored);
    return json(metadata(stored));
  }
  if (route === 'anthropic.files.list') {
    const data = [...FILES.values()].map(metadata);
    return json({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
  }
  const id = decodeURIComponent(FILE_PATH.exec(req.path)![1]!);
  const file = FILES.get(id);
  if (file === undefined) return errorReply('anthropic', 404, { type: 'not_found_error', message: `File not found: ${id}` }, input.requestId);
  if (route === 'anthropic.files.delete') {
    FILES.delete(id);
    return json({ id, type: 'file_deleted' });
  }
  if (route === 'anthropic.files.download') return { status: 200, headers: { 'content-type': file.mimeType, 'request-id': 'req_fakeFileDownload' }, pieces: [file.bytes], stream: false };
  return json(metadata(file));
}

function metadata(f: StoredFile) {
  return { id: f.id, type: 'file', filename: f.filename, mime_type: f.mimeType, size_bytes: f.bytes.length, created_at: '2026-11-01T00:00:00Z', downloadable: true };
}
