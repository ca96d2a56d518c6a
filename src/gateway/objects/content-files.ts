import type { Api } from '../../core/api.js';
import { responsesTools } from '../../providers/openai/request-tools.js';
import { asArray, asObject } from '../../providers/shared/json.js';

/** The APIs whose request bodies may name an uploaded file inside their messages. */
export const CONTENT_APIS: ReadonlySet<Api> = new Set<Api>(['openai.chat', 'openai.responses', 'openai.compact', 'openai.input_tokens', 'anthropic.messages', 'anthropic.count_tokens', 'anthropic.batches']);

const FILE_ID = Buffer.from('file_id');
const ESCAPE = Buffer.from('\\u');

/**
 * Whether a body's bytes can name a file: every shape below has a key `file_id` (or `file_ids`), and
 * JSON can spell a key only as written or with `\u` escapes. Undefined bytes (not at hand): maybe.
 * A memchr-like scan of the bytes, cheaper than walking a long conversation.
 */
export function mayNameFiles(raw: Buffer | undefined): boolean {
  return raw === undefined || raw.includes(FILE_ID) || raw.includes(ESCAPE);
}

/**
 * The uploaded files a request's messages use, by id: OpenAI Chat's `file` parts; the Responses
 * API's `input_file` and `input_image` (in message content, a tool call's output, a prompt's
 * variables), a computer call's screenshot, the files of a code interpreter's or shell tool's
 * container and the image mask's (among its tools and those its input items add);
 * Anthropic's `document` and `image` blocks whose source is a file, `container_upload` blocks, and
 * those inside a `tool_result` (also in a Message Batch's requests). Ids the provider made and named
 * in an answer (citations, code execution outputs) are not uses of a file and are left alone.
 */
export function contentFiles(api: Api, json: unknown): string[] {
  const found = new Set<string>();
  const body = asObject(json);
  if (body === undefined) return [];
  if (api === 'openai.chat') for (const m of asArray(body.messages) ?? []) parts(asObject(m)?.content, found);
  else if (api === 'anthropic.messages' || api === 'anthropic.count_tokens') messages(body, found);
  else if (api === 'anthropic.batches') for (const r of asArray(body.requests) ?? []) messages(asObject(asObject(r)?.params), found);
  else {
    const input = asArray(body.input);
    if (input) parts(input, found);
    for (const v of Object.values(asObject(asObject(body.prompt)?.variables) ?? {})) part(v, found);
    for (const t of responsesTools(body)) tool(t, found);
  }
  return [...found];
}

function messages(params: Record<string, unknown> | undefined, found: Set<string>): void {
  for (const m of asArray(params?.messages) ?? []) parts(asObject(m)?.content, found);
}

function parts(list: unknown, found: Set<string>): void {
  for (const p of asArray(list) ?? []) part(p, found);
}

function add(id: unknown, found: Set<string>): void {
  if (typeof id === 'string' && id !== '') found.add(id);
}

function part(value: unknown, found: Set<string>): void {
  const p = asObject(value);
  if (p === undefined) return;
  switch (p.type) {
    case 'file': // OpenAI Chat
      return add(asObject(p.file)?.file_id, found);
    case 'input_file':
    case 'input_image':
    case 'container_upload':
      return add(p.file_id, found);
    case 'computer_call_output':
      return add(asObject(p.output)?.file_id, found);
    case 'document':
    case 'image': {
      const source = asObject(p.source);
      return source?.type === 'file' ? add(source.file_id, found) : undefined;
    }
    case 'tool_result':
      return parts(p.content, found);
    case 'function_call_output':
    case 'custom_tool_call_output':
      return parts(p.output, found);
    default:
      // A Responses input item that is a message (its `type` may be left out).
      if (p.role !== undefined) parts(p.content, found);
  }
}

function tool(t: Record<string, unknown> | undefined, found: Set<string>): void {
  if (t?.type === 'code_interpreter') for (const id of asArray(asObject(t.container)?.file_ids) ?? []) add(id, found);
  else if (t?.type === 'image_generation') add(asObject(t.input_image_mask)?.file_id, found);
  else if (t?.type === 'shell') for (const id of asArray(asObject(t.environment)?.file_ids) ?? []) add(id, found);
}
