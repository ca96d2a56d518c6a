import { jsonHeaders } from './headers.js';
import { type Dialect, type Reply, dataEvent, googleEvent, googleJson, namedEvent } from './reply.js';
import type { ErrorSpec } from './types.js';

interface Default {
  type: string;
  message: string;
  code?: string | null;
}

const OPENAI: Record<number, Default> = {
  400: { type: 'invalid_request_error', message: 'Invalid request (fake upstream).' },
  401: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.' },
  403: { type: 'invalid_request_error', code: 'unsupported_country_region_territory', message: 'Country, region, or territory not supported' },
  404: { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist or you do not have access to it.' },
  429: { type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests. Please try again in 1s.' },
  500: { type: 'server_error', message: 'The server had an error while processing your request. Sorry about that!' },
  503: { type: 'server_error', message: 'The engine is currently overloaded, please try again later' },
};

const ANTHROPIC: Record<number, Default> = {
  400: { type: 'invalid_request_error', message: 'Invalid request (fake upstream).' },
  401: { type: 'authentication_error', message: 'invalid x-api-key' },
  402: { type: 'billing_error', message: 'Your credit balance is too low.' },
  403: { type: 'permission_error', message: 'Your API key does not have permission to use the specified resource.' },
  404: { type: 'not_found_error', message: 'Not found.' },
  413: { type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' },
  429: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit.' },
  500: { type: 'api_error', message: 'Internal server error' },
  504: { type: 'timeout_error', message: 'Request timed out.' },
  529: { type: 'overloaded_error', message: 'Overloaded' },
};

const GEMINI: Record<number, Default> = {
  400: { type: 'INVALID_ARGUMENT', message: 'Request contains an invalid argument.' },
  401: { type: 'UNAUTHENTICATED', message: 'Request had invalid authentication credentials.' },
  403: { type: 'PERMISSION_DENIED', message: 'The caller does not have permission' },
  404: { type: 'NOT_FOUND', message: 'Requested entity was not found.' },
  409: { type: 'ABORTED', message: 'The operation was aborted.' },
  429: { type: 'RESOURCE_EXHAUSTED', message: 'Resource has been exhausted (e.g. check quota).' },
  499: { type: 'CANCELLED', message: 'The operation was cancelled.' },
  500: { type: 'INTERNAL', message: 'An internal error has occurred.' },
  501: { type: 'UNIMPLEMENTED', message: 'Method not implemented.' },
  503: { type: 'UNAVAILABLE', message: 'The model is overloaded. Please try again later.' },
  504: { type: 'DEADLINE_EXCEEDED', message: 'Deadline expired before operation could complete.' },
};

const TABLES: Record<Dialect, Record<number, Default>> = { openai: OPENAI, anthropic: ANTHROPIC, gemini: GEMINI };

function defaultFor(d: Dialect, status: number): Default {
  const table = TABLES[d];
  return table[status] ?? (status >= 500 ? table[500]! : table[400]!);
}

function statusForGoogle(type: string): number {
  for (const [status, v] of Object.entries(GEMINI)) if (v.type === type) return Number(status);
  return 500;
}

function openaiError(status: number, s: ErrorSpec | undefined): Record<string, unknown> {
  const def = defaultFor('openai', status);
  const code = s?.code !== undefined ? s.code : (def.code ?? null);
  return { message: s?.message ?? def.message, type: s?.type ?? def.type, param: s?.param ?? null, code };
}

function anthropicBody(status: number, s: ErrorSpec | undefined, requestId: string): string {
  const def = defaultFor('anthropic', status);
  const type = s?.type ?? def.type;
  const known = Object.values(ANTHROPIC).find((v) => v.type === type);
  const error: Record<string, unknown> = { type, message: s?.message ?? known?.message ?? def.message };
  if (s?.details !== undefined) error.details = s.details;
  return JSON.stringify({ type: 'error', error, request_id: requestId });
}

function geminiError(status: number, s: ErrorSpec | undefined): Record<string, unknown> {
  const def = defaultFor('gemini', status);
  const code = s?.type === undefined ? status : statusForGoogle(s.type);
  const error: Record<string, unknown> = { code, message: s?.message ?? def.message, status: s?.type ?? def.type };
  const details = s?.details ?? (status === 429 ? QUOTA_DETAILS : undefined);
  if (details !== undefined) error.details = details;
  return { error };
}

const QUOTA_DETAILS = [
  {
    '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
    violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_paid_tier_input_token_count', quotaId: 'GenerateContentPaidTierInputTokensPerModelPerMinute' }],
  },
  { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' },
];

/** Statuses the providers answer with a `retry-after`. */
const RETRY_AFTER = new Set([429, 503, 529]);

/**
 * A non-2xx answer in the dialect's own body shape. `arrayWrapped` is Gemini's
 * non-SSE stream endpoint, which wraps even its errors in the JSON array.
 */
export function errorReply(d: Dialect, status: number, s: ErrorSpec | undefined, requestId: string, arrayWrapped = false): Reply {
  let text: string;
  if (d === 'openai') text = `${JSON.stringify({ error: openaiError(status, s) }, null, 4)}\n`;
  else if (d === 'anthropic') text = anthropicBody(status, s, requestId);
  else {
    const body = JSON.stringify(geminiError(status, s), null, 2);
    text = arrayWrapped ? `[${body}\n]` : `${body}\n`;
  }
  const headers: Record<string, string> = { ...jsonHeaders(d) };
  if (RETRY_AFTER.has(status)) headers['retry-after'] = '1';
  return { status, headers, pieces: [Buffer.from(text)], stream: false };
}

export type StreamKind = 'openai.chat' | 'openai.responses' | 'anthropic' | 'gemini.sse' | 'gemini.array';

/** Builds the in-stream error that replaces piece `index` of a 200 stream. */
export function streamError(kind: StreamKind, s: ErrorSpec | undefined): (index: number, requestId: string) => Buffer {
  switch (kind) {
    case 'openai.chat': {
      const bytes = dataEvent(JSON.stringify({ error: openaiError(500, s) }));
      return () => bytes;
    }
    case 'openai.responses': {
      const code = s?.code ?? 'server_error';
      const message = s?.message ?? 'An error occurred while processing your request.';
      const param = s?.param ?? null;
      return (index) => namedEvent('error', JSON.stringify({ type: 'error', code, message, param, sequence_number: index }));
    }
    case 'anthropic':
      return (_index, requestId) => namedEvent('error', anthropicBody(529, s, requestId));
    case 'gemini.sse': {
      const bytes = googleEvent(googleJson(geminiError(503, s)));
      return () => bytes;
    }
    case 'gemini.array': {
      const body = JSON.stringify(geminiError(503, s), null, 2);
      return (index) => Buffer.from(`${index === 0 ? '[' : '\n,\r\n'}${body}\n]`);
    }
  }
}
