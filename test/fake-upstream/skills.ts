import { randomBytes } from 'node:crypto';
import { errorReply } from './errors.js';
import { jsonHeaders } from './headers.js';
import { type BuildInput, type Reply, jsonReply, pretty } from './reply.js';

interface Version {
  /** OpenAI's version number (`"1"`), Anthropic's version id (digits). */
  version: string;
  id: string;
  createdAt: number;
  /** The bytes uploaded: one file's, or every file's one after another. */
  content: Buffer;
}

interface Skill {
  id: string;
  name: string;
  createdAt: number;
  defaultVersion: string;
  versions: Version[];
  /** Anthropic's own (`pptx`): listed to every account, read-only. */
  anthropic?: true;
}

/** Skills by the fake they were made on (its host, as the request names it) and dialect: each fake lists its own. */
const SKILLS = new Map<string, Map<string, Skill>>();
const ANTHROPIC_OWN: Skill[] = ['pptx', 'xlsx'].map((id) => ({ id, name: id, createdAt: 1_760_000_000, defaultVersion: '1759000000000001', versions: [{ version: '1759000000000001', id: '1759000000000001', createdAt: 1_760_000_000, content: Buffer.from(`${id} skill`) }], anthropic: true }));

const PATH = /^\/skills(?:\/([^/]+)(?:\/(content|versions)(?:\/([^/]+)(\/content)?)?)?)?$/;

/** The route name of a Skills API path (without `/v1`), or undefined: Anthropic's when the request says so (`anthropic-version`). */
export function skillRoute(method: string, path: string, dialect: 'openai' | 'anthropic'): string | undefined {
  const m = PATH.exec(path);
  if (m === null) return undefined;
  const p = `${dialect}.skills`;
  if (m[1] === undefined) return method === 'POST' ? `${p}.create` : method === 'GET' ? `${p}.list` : undefined;
  if (m[2] === undefined) return method === 'GET' ? `${p}.retrieve` : method === 'DELETE' ? `${p}.delete` : method === 'POST' && dialect === 'openai' ? `${p}.update` : undefined;
  if (m[2] === 'content') return method === 'GET' && dialect === 'openai' ? `${p}.content` : undefined;
  if (m[3] === undefined) return method === 'POST' ? `${p}.versions.create` : method === 'GET' ? `${p}.versions.list` : undefined;
  if (m[4] !== undefined) return method === 'GET' ? `${p}.versions.content` : undefined;
  return method === 'GET' ? `${p}.versions.retrieve` : method === 'DELETE' ? `${p}.versions.delete` : undefined;
}

/** Every part of a multipart body named `files` or `files[]` (the SDKs send an array as `files[]` parts). */
function uploadedFiles(contentType: string | undefined, body: Buffer): Buffer[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType ?? '');
  if (boundary === null) return [];
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const out: Buffer[] = [];
  for (let at = body.indexOf(delimiter); at >= 0; ) {
    const start = at + delimiter.length;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, next);
    const headEnd = part.indexOf('\r\n\r\n');
    const name = headEnd < 0 ? undefined : /name="([^"]*)"/.exec(part.subarray(0, headEnd).toString('utf8'))?.[1];
    if (name === 'files' || name === 'files[]') out.push(Buffer.from(part.subarray(headEnd + 4, part.length - 2)));
    at = next;
  }
  return out;
}

const iso = (s: number) => new Date(s * 1000).toISOString();

function openaiSkill(s: Skill) {
  const latest = s.versions.at(-1)!;
  return { id: s.id, object: 'skill', created_at: s.createdAt, default_version: s.defaultVersion, description: `The ${s.name} skill.`, latest_version: latest.version, name: s.name };
}

function openaiVersion(s: Skill, v: Version) {
  return { id: v.id, object: 'skill.version', created_at: v.createdAt, description: `The ${s.name} skill.`, name: s.name, skill_id: s.id, version: v.version };
}

function anthropicSkill(s: Skill) {
  return { id: s.id, type: 'skill', created_at: iso(s.createdAt), display_name: s.name, latest_version_id: s.versions.at(-1)!.id, source: { type: s.anthropic ? 'anthropic' : 'custom' }, updated_at: iso(s.createdAt) };
}

function anthropicVersion(s: Skill, v: Version) {
  return { id: v.id, type: 'skill_version', created_at: iso(v.createdAt), description: `The ${s.name} skill.`, name: s.name, skill_id: s.id };
}

/**
 * OpenAI's Skills API (`client.skills`, `.versions`, `.content`) and Anthropic's (`client.beta.skills`,
 * `.versions`), kept in memory: a skill is made from the files of a multipart upload (`files` or
 * `files[]` parts; a skill without one is a 400), its content is those files' bytes. OpenAI lists
 * `{object: "list", data, first_id, last_id, has_more}` paged by `limit` and `after`; Anthropic
 * `{data, has_more, next_page}` paged by `limit` and `page`, Anthropic's own `pptx` and `xlsx`
 * (`source: {type: "anthropic"}`) after the account's. Each fake (by its host) keeps its own. An unknown id is the provider's 404.
 */
export function buildSkills(input: BuildInput): Reply {
  const { req } = input;
  const dialect: 'openai' | 'anthropic' = req.headers['anthropic-version'] !== undefined ? 'anthropic' : 'openai';
  const path = req.path.startsWith('/v1/') ? req.path.slice(3) : req.path;
  const route = skillRoute(req.method, path, dialect)!.slice(dialect.length + '.skills.'.length);
  const m = PATH.exec(path)!;
  const json = (body: unknown) => jsonReply(jsonHeaders(dialect), dialect === 'openai' ? pretty(body) : JSON.stringify(body));
  const error = (status: number, message: string) => errorReply(dialect, status, { type: status === 404 && dialect === 'anthropic' ? 'not_found_error' : 'invalid_request_error', message }, input.requestId);
  const where = `${dialect} ${req.headers.host ?? ''}`;
  const skills = SKILLS.get(where) ?? SKILLS.set(where, new Map()).get(where)!;
  const now = Math.floor(Date.now() / 1000);
  const newVersion = (number: number): Version | undefined => {
    const files = uploadedFiles(req.headers['content-type'], req.body);
    if (files.length === 0) return undefined;
    const version = dialect === 'openai' ? String(number) : `${Date.now()}${String(number).padStart(3, '0')}`;
    return { version, id: dialect === 'openai' ? `skillver_${randomBytes(8).toString('hex')}` : version, createdAt: now, content: Buffer.concat(files) };
  };
  if (route === 'create') {
    const v = newVersion(1);
    if (v === undefined) return error(400, 'files: at least one file is required');
    const s: Skill = { id: `skill_${dialect === 'anthropic' ? '01' : ''}${randomBytes(12).toString('hex')}`, name: `skill-${skills.size + 1}`, createdAt: now, defaultVersion: v.version, versions: [v] };
    skills.set(s.id, s);
    return json(dialect === 'openai' ? openaiSkill(s) : anthropicSkill(s));
  }
  if (route === 'list') return json(dialect === 'openai' ? openaiList([...skills.values()].map(openaiSkill), req.query) : anthropicList([...skills.values(), ...ANTHROPIC_OWN], req.query));
  const id = decodeURIComponent(m[1]!);
  const s = skills.get(id) ?? (dialect === 'anthropic' ? ANTHROPIC_OWN.find((o) => o.id === id) : undefined);
  if (s === undefined) return error(404, `Skill with id '${id}' not found.`);
  const show = (x: Skill) => (dialect === 'openai' ? openaiSkill(x) : anthropicSkill(x));
  const showVersion = (v: Version) => (dialect === 'openai' ? openaiVersion(s, v) : anthropicVersion(s, v));
  const binary = (content: Buffer): Reply => ({ status: 200, headers: { 'content-type': 'application/zip', [dialect === 'openai' ? 'x-request-id' : 'request-id']: 'req_fakeSkillContent' }, pieces: [content], stream: false });
  if (s.anthropic && req.method !== 'GET') return error(400, `Skill '${id}' is read-only.`);
  switch (route) {
    case 'retrieve':
      return json(show(s));
    case 'update':
      s.defaultVersion = typeof input.body.default_version === 'string' ? input.body.default_version : s.defaultVersion;
      return json(show(s));
    case 'delete':
      skills.delete(id);
      return json(dialect === 'openai' ? { id, deleted: true, object: 'skill.deleted' } : { id, type: 'skill_deleted' });
    case 'content':
      return binary(s.versions.find((v) => v.version === s.defaultVersion)!.content);
    case 'versions.create': {
      const v = newVersion(s.versions.length + 1);
      if (v === undefined) return error(400, 'files: at least one file is required');
      s.versions.push(v);
      return json(showVersion(v));
    }
    case 'versions.list': {
      const data = s.versions.map(showVersion);
      return json(dialect === 'openai' ? openaiList(data, req.query) : anthropicPage(data, req.query));
    }
  }
  const asked = decodeURIComponent(m[3]!);
  const at = s.versions.findIndex((v) => v.version === asked || v.id === asked);
  if (at < 0) return error(404, `Version '${asked}' of skill '${id}' not found.`);
  const v = s.versions[at]!;
  if (route === 'versions.content') return binary(v.content);
  if (route === 'versions.delete') {
    s.versions.splice(at, 1);
    return json(dialect === 'openai' ? { id: v.id, deleted: true, object: 'skill.version.deleted', version: v.version } : { id: v.id, type: 'skill_version_deleted' });
  }
  return json(showVersion(v));
}

/** OpenAI's cursor page: the items after `after`, `limit` of them (20 by default). */
function openaiList(items: { id: string }[], query: Readonly<Record<string, string>>) {
  const from = query.after === undefined ? 0 : items.findIndex((i) => i.id === query.after) + 1;
  const data = items.slice(from, from + Number(query.limit ?? 20));
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: from + data.length < items.length };
}

/** Anthropic's skills, `source` filtering them (`custom`, `anthropic`), paged by a token. */
function anthropicList(skills: Skill[], query: Readonly<Record<string, string>>) {
  const source = query.source;
  const kept = source === undefined ? skills : skills.filter((s) => (s.anthropic ? 'anthropic' : 'custom') === source);
  return anthropicPage(kept.map(anthropicSkill), query);
}

/** Anthropic's token page: `page` is where it starts (an opaque token), `limit` items (20 by default). */
function anthropicPage(items: unknown[], query: Readonly<Record<string, string>>) {
  const from = query.page === undefined ? 0 : Number(Buffer.from(query.page.replace(/^page_/, ''), 'base64url').toString());
  const to = from + Number(query.limit ?? 20);
  const more = to < items.length;
  return { data: items.slice(from, to), has_more: more, next_page: more ? `page_${Buffer.from(String(to)).toString('base64url')}` : null };
}
