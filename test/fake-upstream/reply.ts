import type { PromptCacheSim } from './prompt-cache.js';
import type { RecordedRequest, Scenario } from './types.js';

export type Dialect = 'openai' | 'anthropic' | 'gemini';

/** A fully rendered answer. The writer applies pacing and faults on top of it. */
export interface Reply {
  status: number;
  headers: Readonly<Record<string, string>>;
  /** Body writes in order: one per SSE event or array element, one for a JSON body. */
  pieces: readonly Buffer[];
  /** Streams have no content-length and may carry an in-stream error. */
  stream: boolean;
  /** The dialect's in-stream error that would replace piece `index`. */
  errorEvent?: (index: number, requestId: string) => Buffer;
}

/** What a builder sees. */
export interface BuildInput {
  req: RecordedRequest;
  /** Only for error bodies: 2xx replies are cached and must not depend on it. */
  requestId: string;
  /** The parsed JSON body as an object (empty when the body is not an object). */
  body: Readonly<Record<string, unknown>>;
  scenario: Scenario;
  /** The server's simulated prompt cache (used when the scenario asks for it). */
  promptCache?: PromptCacheSim;
}

export type Builder = (input: BuildInput) => Reply;

export function jsonReply(headers: Readonly<Record<string, string>>, text: string, status = 200): Reply {
  return { status, headers, pieces: [Buffer.from(text)], stream: false };
}

/** Pretty JSON as OpenAI and Google print their JSON bodies. */
export function pretty(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Chat Completions framing: data only. */
export function dataEvent(json: string): Buffer {
  return Buffer.from(`data: ${json}\n\n`);
}

/** Responses and Anthropic framing: a named event whose data repeats the name as `type`. */
export function namedEvent(name: string, json: string): Buffer {
  return Buffer.from(`event: ${name}\ndata: ${json}\n\n`);
}

/** Google's SSE framing uses CRLF line ends and a CRLF blank line. */
export function googleEvent(json: string): Buffer {
  return Buffer.from(`data: ${json}\r\n\r\n`);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Google's compact style: a space after each colon, none after commas, e.g.
 * `{"candidates": [{"content": {"parts": [{"text": "Hi"}],"role": "model"}}]}`.
 */
export function googleJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(googleJson).join(',')}]`;
  if (isRecord(value)) {
    const members: string[] = [];
    for (const [k, v] of Object.entries(value)) if (v !== undefined) members.push(`${JSON.stringify(k)}: ${googleJson(v)}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A text field of a multipart form, read the simple way (the fake's forms come from the SDK). */
export function formField(body: Buffer, name: string): string | undefined {
  return new RegExp(`name="${name}"\\r\\n\\r\\n([^\\r]*)\\r\\n`).exec(body.toString('latin1'))?.[1];
}
