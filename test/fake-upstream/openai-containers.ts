import { randomBytes } from 'node:crypto';
import { errorReply } from './errors.js';
import { jsonHeaders } from './headers.js';
import { formParts, uploadedFile } from './openai-batches.js';
import { type BuildInput, type Reply, jsonReply, pretty, str } from './reply.js';

type Json = Record<string, unknown>;

interface ContainerFile {
  id: string;
  path: string;
  bytes: Buffer;
  createdAt: number;
  source: string;
}

interface Container {
  id: string;
  name: string;
  createdAt: number;
  memoryLimit: string;
  minutes: number;
  files: ContainerFile[];
}

/** Containers made through any fake in this process, oldest first (ids are random, so two fakes never share one). */
const CONTAINERS = new Map<string, Container>();

const PATH = /^\/containers(?:\/([^/]+)(?:\/files(?:\/([^/]+)(\/content)?)?)?)?$/;

/** The route name of an OpenAI containers path (without `/v1`), or undefined. */
export function containerRoute(method: string, path: string): string | undefined {
  const m = PATH.exec(path);
  if (m === null) return undefined;
  const files = path.includes('/files');
  if (m[1] === undefined) return method === 'POST' ? 'openai.containers.create' : method === 'GET' ? 'openai.containers.list' : undefined;
  if (m[3] !== undefined) return method === 'GET' ? 'openai.containers.files.content' : undefined;
  if (m[2] !== undefined) return method === 'GET' ? 'openai.containers.files.retrieve' : method === 'DELETE' ? 'openai.containers.files.delete' : undefined;
  if (files) return method === 'GET' ? 'openai.containers.files.list' : method === 'POST' ? 'openai.containers.files.create' : undefined;
  return method === 'GET' ? 'openai.containers.retrieve' : method === 'DELETE' ? 'openai.containers.delete' : undefined;
}

const json = (body: unknown): Reply => jsonReply(jsonHeaders('openai'), pretty(body));
const notFound = (input: BuildInput, message: string) => errorReply('openai', 404, { type: 'invalid_request_error', message }, input.requestId);
const badRequest = (input: BuildInput, message: string) => errorReply('openai', 400, { type: 'invalid_request_error', message }, input.requestId);

const containerObject = (c: Container) => ({
  id: c.id,
  object: 'container',
  created_at: c.createdAt,
  status: 'running',
  expires_after: { anchor: 'last_active_at', minutes: c.minutes },
  last_active_at: c.createdAt,
  memory_limit: c.memoryLimit,
  name: c.name,
});
const fileObject = (c: Container, f: ContainerFile) => ({ id: f.id, object: 'container.file', bytes: f.bytes.length, container_id: c.id, created_at: f.createdAt, path: f.path, source: f.source });

/** A cursor page as OpenAI's lists give one: `limit` (20 by default), `after`, `order` (newest first by default). */
function page<T extends { id: string }>(all: T[], query: Readonly<Record<string, string>>, render: (t: T) => Json): Json {
  const ordered = query.order === 'asc' ? all : [...all].reverse();
  const from = query.after === undefined ? 0 : ordered.findIndex((t) => t.id === query.after) + 1;
  const limit = Math.max(1, Math.min(100, Number(query.limit ?? 20) || 20));
  const data = ordered.slice(from, from + limit).map(render);
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: from + limit < ordered.length };
}

function addFile(c: Container, name: string, bytes: Buffer, source: string): ContainerFile {
  const f: ContainerFile = { id: `cfile_${randomBytes(16).toString('hex')}`, path: `/mnt/data/${name}`, bytes, createdAt: Math.floor(Date.now() / 1000), source };
  c.files.push(f);
  return f;
}

/**
 * OpenAI's Containers API (`client.containers`, `client.containers.files`, `.files.content`): containers
 * and their files kept in memory. A container is made with the uploaded files `file_ids` names (copied
 * from the Files API's store, openai-batches.ts); a file is added as a form (`file`) or by `file_id`. An
 * unknown id is a 404 `invalid_request_error`, as is a file id the Files API does not have.
 */
export function buildContainers(input: BuildInput): Reply {
  const { req, body } = input;
  const path = req.path.startsWith('/v1/') ? req.path.slice(3) : req.path;
  const route = containerRoute(req.method, path)!;
  const m = PATH.exec(path)!;
  if (route === 'openai.containers.create') {
    const name = str(body.name);
    if (name === undefined) return badRequest(input, "Missing required parameter: 'name'.");
    const ids = Array.isArray(body.file_ids) ? body.file_ids.map(String) : [];
    const missing = ids.find((id) => uploadedFile(id) === undefined);
    if (missing !== undefined) return notFound(input, `No such File object: ${missing}`);
    const minutes = Number((body.expires_after as Json | undefined)?.minutes ?? 20);
    const c: Container = { id: `cntr_${randomBytes(24).toString('hex')}`, name, createdAt: Math.floor(Date.now() / 1000), memoryLimit: str(body.memory_limit) ?? '1g', minutes, files: [] };
    for (const id of ids) addFile(c, uploadedFile(id)!.filename, uploadedFile(id)!.bytes, 'user');
    CONTAINERS.set(c.id, c);
    return json(containerObject(c));
  }
  if (route === 'openai.containers.list') {
    const all = [...CONTAINERS.values()].filter((c) => req.query.name === undefined || c.name === req.query.name);
    return json(page(all, req.query, containerObject));
  }
  const id = decodeURIComponent(m[1]!);
  const c = CONTAINERS.get(id);
  if (c === undefined) return notFound(input, `Container with id '${id}' not found.`);
  switch (route) {
    case 'openai.containers.retrieve':
      return json(containerObject(c));
    case 'openai.containers.delete':
      CONTAINERS.delete(id);
      return json({ id, object: 'container.deleted', deleted: true });
    case 'openai.containers.files.list':
      return json(page(c.files, req.query, (f) => fileObject(c, f)));
    case 'openai.containers.files.create':
      return createFile(input, c);
  }
  const fileId = decodeURIComponent(m[2]!);
  const at = c.files.findIndex((f) => f.id === fileId);
  if (at < 0) return notFound(input, `Container file with id '${fileId}' not found.`);
  const f = c.files[at]!;
  if (route === 'openai.containers.files.delete') {
    c.files.splice(at, 1);
    return json({ id: fileId, object: 'container.file.deleted', deleted: true });
  }
  if (route === 'openai.containers.files.content') return { status: 200, headers: { 'content-type': 'application/octet-stream', 'x-request-id': 'req_fakeContainerFile' }, pieces: [f.bytes], stream: false };
  return json(fileObject(c, f));
}

function createFile(input: BuildInput, c: Container): Reply {
  const type = input.req.headers['content-type'] ?? '';
  if (/^multipart\/form-data/i.test(type)) {
    const file = formParts(type, input.req.body).get('file');
    if (file === undefined) return badRequest(input, "Missing required parameter: 'file'.");
    return json(fileObject(c, addFile(c, file.filename ?? 'upload', Buffer.from(file.data), 'user')));
  }
  const fileId = str(input.body.file_id);
  if (fileId === undefined) return badRequest(input, 'Either a file or a file_id is required.');
  const stored = uploadedFile(fileId);
  if (stored === undefined) return notFound(input, `No such File object: ${fileId}`);
  return json(fileObject(c, addFile(c, stored.filename, stored.bytes, 'user')));
}
