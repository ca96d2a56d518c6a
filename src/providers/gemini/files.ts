import { asArray, asObject, asText, parseJson } from '../shared/json.js';
import { nothingMetered, withResponseId } from '../shared/metered.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { Metered } from '../types.js';

/**
 * Where Google keeps the files its Files API names: a file's `uri` is
 * `https://generativelanguage.googleapis.com/v1beta/files/{id}`. Other hosts under googleapis.com
 * (a Cloud Storage URL, which a request may name as well) are not the Files API.
 */
const FILES_HOST = /^generativelanguage(?:\.[a-z0-9-]+)*\.googleapis\.com$/;

/**
 * The file (`files/{id}`) a part's `fileUri` names: its full URI or its name alone. Undefined for
 * what is no file of the Files API (a YouTube or Cloud Storage URL, a web page), which the provider
 * fetches itself. Read widely (any scheme's case, a `:download` suffix, an escaped id, a query),
 * as a name that is no file the caller may use is refused, while a file missed would go unchecked.
 */
export function fileNameOfUri(uri: string): string | undefined {
  const text = uri.trim();
  const bare = /^files\/([^/?#]+)/i.exec(text);
  if (bare !== null) return fileName(bare[1]!);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !FILES_HOST.test(url.hostname)) return undefined;
  const m = /\/files\/([^/]+)/.exec(url.pathname);
  return m === null ? undefined : fileName(m[1]!);
}

function fileName(segment: string): string {
  const id = segment.split(':')[0]!;
  try {
    return `files/${decodeURIComponent(id)}`;
  } catch {
    return `files/${id}`;
  }
}

const NEEDLES = [Buffer.from('fileUri'), Buffer.from('file_uri'), Buffer.from('\\u')];

/**
 * Whether a body's bytes can name a file: a part names one by `fileUri` (or `file_uri`, which
 * Google's JSON parser takes too), which JSON can spell only as written or with `\u` escapes.
 * Undefined bytes (not at hand): maybe. A memchr-like scan, cheaper than walking the contents.
 */
export function mayNameFiles(raw: Buffer | undefined): boolean {
  return raw === undefined || NEEDLES.some((n) => raw.includes(n));
}

/**
 * A proto JSON field by its JSON name and by its original one (Google's parser takes either): both,
 * where a body gives both, as which one the provider would read is not known.
 */
function fields(o: Record<string, unknown> | undefined, camel: string, snake: string): unknown[] {
  if (o === undefined) return [];
  return [o[camel], o[snake]].filter((v) => v !== undefined);
}

/**
 * The uploaded files (`files/{id}`) a request's parts name in `fileData.fileUri`: in its `contents`
 * and `systemInstruction` (generateContent, streamGenerateContent, a cache's creation), those of
 * the `generateContentRequest` a token count may carry, an embedding's `content` and each of a
 * batch's `requests`, and the parts of a function's response (Gemini 3 takes files there too).
 */
export function namedFiles(json: unknown): string[] {
  const found = new Set<string>();
  const body = asObject(json);
  if (body === undefined) return [];
  const request = (r: Record<string, unknown> | undefined) => {
    for (const c of asArray(r?.contents) ?? []) parts(asObject(c)?.parts, found);
    for (const s of fields(r, 'systemInstruction', 'system_instruction')) parts(asObject(s)?.parts, found);
  };
  request(body);
  for (const r of fields(body, 'generateContentRequest', 'generate_content_request')) request(asObject(r));
  parts(asObject(body.content)?.parts, found);
  for (const r of asArray(body.requests) ?? []) parts(asObject(asObject(r)?.content)?.parts, found);
  return [...found];
}

function parts(list: unknown, found: Set<string>): void {
  for (const value of asArray(list) ?? []) {
    const p = asObject(value);
    for (const data of fields(p, 'fileData', 'file_data')) {
      for (const uri of fields(asObject(data), 'fileUri', 'file_uri')) {
        const name = typeof uri === 'string' ? fileNameOfUri(uri) : undefined;
        if (name !== undefined) found.add(name);
      }
    }
    for (const r of fields(p, 'functionResponse', 'function_response')) parts(asObject(r)?.parts, found);
  }
}

/**
 * An upload's answer: the `File` it made (`{"file": {"name": "files/…", "uri", "state", …}}`), once
 * its last bytes are in, is the row's `response_id`, so that the gateway knows who made it
 * (auth.stored_objects). Free: Google bills no fee per file. A start's or a chunk's answer holds none.
 */
export function readUploadedFile(text: string | undefined, complete: boolean): Metered {
  const value = text === undefined || text === '' ? undefined : parseJson(text);
  const m = nothingMetered(complete, errorFromValue(value));
  const name = asText(asObject(asObject(value)?.file)?.name);
  return complete && name?.startsWith('files/') === true ? withResponseId(m, name) : m;
}
