import { FREE_APIS } from '../../core/api.js';
import { GatewayError } from '../../core/errors.js';
import type { DialectAdapter, RequestInfo, RouteMatch } from '../types.js';

/** Text values longer than this are not read (a form's text fields are short; its files are not read at all). */
const MAX_VALUE_BYTES = 64 * 1024;
const CRLF_CRLF = Buffer.from('\r\n\r\n');
/** The fields a billed form is read for (the model, a stream): each must be given once. */
const READ_FIELDS = ['model', 'stream'];

/**
 * The text fields of a `multipart/form-data` body (RFC 7578), by name: the parts without a
 * filename, first value of each name. File parts are skipped without being decoded. Undefined
 * when the content type is not a form with a boundary. The names of parts given more than once
 * (files too) are added to `repeated`. Pure.
 */
export function formFields(body: Buffer, contentType: string | undefined, repeated?: Set<string>): Map<string, string> | undefined {
  const boundary = boundaryOf(contentType);
  if (boundary === undefined) return undefined;
  const fields = new Map<string, string>();
  const named = new Set<string>();
  for (const { part, valueStart, valueEnd } of formParts(body, boundary)) {
    if (part && named.has(part.name)) repeated?.add(part.name);
    if (part) named.add(part.name);
    if (part && part.filename === undefined && !fields.has(part.name) && valueEnd - valueStart <= MAX_VALUE_BYTES) fields.set(part.name, body.toString('utf8', valueStart, valueEnd));
  }
  return fields;
}

/** One part of a form: its disposition (undefined when it names none), and where its value's bytes are. */
export interface FormPart {
  part: { name: string; filename: string | undefined } | undefined;
  valueStart: number;
  valueEnd: number;
}

/**
 * The parts of a form body, in order, as formFields reads them: a form's model is changed
 * (form-model.ts) in the very part it was read from.
 */
export function* formParts(body: Buffer, boundary: string): Generator<FormPart> {
  const delimiter = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const afterDelimiter = at + delimiter.length;
    // `--` after a delimiter closes the form.
    if (body[afterDelimiter] === 0x2d && body[afterDelimiter + 1] === 0x2d) return;
    const headersEnd = body.indexOf(CRLF_CRLF, afterDelimiter);
    if (headersEnd < 0) return;
    const valueStart = headersEnd + CRLF_CRLF.length;
    const valueEnd = body.indexOf(next, valueStart);
    if (valueEnd < 0) return;
    yield { part: disposition(body.toString('latin1', afterDelimiter, headersEnd)), valueStart, valueEnd };
    at = valueEnd + 2;
  }
}

export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const b = m?.[1] ?? m?.[2];
  return b && b.length <= 200 ? b : undefined;
}

/** The name and filename of a part's `Content-Disposition: form-data` header. */
export function disposition(headers: string): { name: string; filename: string | undefined } | undefined {
  const line = headers.split('\r\n').find((h) => /^content-disposition\s*:/i.test(h));
  if (!line || !/:\s*form-data\b/i.test(line)) return undefined;
  const param = (key: string) => new RegExp(`;\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, 'i').exec(line);
  const name = param('name');
  if (!name) return undefined;
  const filename = param('filename') ?? param('filename\\*');
  return { name: name[1] ?? name[2]!, filename: filename ? (filename[1] ?? filename[2]) : undefined };
}

/**
 * What a form body says of a billed request (its model, a stream, its text bytes), for a dialect
 * that reads forms; undefined otherwise. A free API's form (a file upload: a batch's input can be
 * hundreds of megabytes) is not scanned: nothing in it is needed.
 */
export function inspectForm(adapter: DialectAdapter, route: RouteMatch, raw: Buffer, contentType: string | undefined): RequestInfo | undefined {
  const repeated = new Set<string>();
  const fields = adapter.inspectForm && !FREE_APIS.has(route.api) ? formFields(raw, contentType, repeated) : undefined;
  if (!fields) return undefined;
  // Servers differ on which of two values they take (Starlette's forms, so FastAPI's and vLLM's, the last; this reader the
  // first): a second `model` would be served while the first was checked against model policy and billed.
  const twice = READ_FIELDS.find((name) => repeated.has(name));
  if (twice !== undefined) throw new GatewayError('invalid_request', `The form gives "${twice}" more than once; give it once.`);
  let textBytes = 0;
  for (const v of fields.values()) textBytes += Buffer.byteLength(v);
  return { ...adapter.inspectForm!(route, fields), textBytes };
}
