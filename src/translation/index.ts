import type { Api, Dialect } from '../core/api.js';
import { GatewayError } from '../core/errors.js';
import { type JsonObject, asArray, asObject } from '../providers/shared/json.js';
import { toChatRequest } from './anthropic-client/request.js';
import { anthropicErrorBody } from './anthropic-client/errors.js';
import { messageId, toAnthropicMessage } from './anthropic-client/response.js';
import { ChatToAnthropicEvents } from './anthropic-client/stream.js';
import { openaiErrorBody, openaiFailureBody } from './openai-client/errors.js';
import { toMessagesRequest } from './openai-client/request.js';
import { completionId, toChatCompletion } from './openai-client/response.js';
import { AnthropicToChatEvents } from './openai-client/stream.js';
import { type Target, str } from './refuse.js';
import { isResponsesShapedChat } from '../providers/openai/request.js';
import { toResponsesRequest } from './responses-on-chat/request.js';
import { toChatCompletion as responseToChatCompletion } from './responses-on-chat/response.js';
import { ResponsesToChatEvents } from './responses-on-chat/stream.js';
import type { ResponseTranslator } from './response-tap.js';

export { estimateMessageTokens } from './count-tokens.js';
export { isResponsesShapedChat } from '../providers/openai/request.js';
export { type TranslatedResponse, translateResponse } from './response-tap.js';
export type { Target } from './refuse.js';

/** One translated exchange: what to ask the upstream, and how to answer the client. */
export interface Translation {
  upstreamApi: Api;
  upstreamPath: string;
  /** The upstream request body. */
  body: JsonObject;
  response: ResponseTranslator;
}

export interface TranslationInput {
  clientApi: Api;
  /** The client's parsed request body (after any policy override). */
  body: JsonObject;
  target: Target;
  /** The upstream is OpenAI itself (its catalog id), which wants `max_completion_tokens`. */
  openaiNative: boolean;
  requestId: string;
  /** Unix seconds, for OpenAI's `created`. */
  now: number;
  /** The request's input estimate (the ledger's, for an answer without usage). */
  inputEstimate?: () => number | undefined;
}

/** Which client APIs each upstream dialect can serve through translation. */
export const TRANSLATABLE: Readonly<Record<'openai' | 'anthropic', readonly Api[]>> = {
  openai: ['anthropic.messages', 'anthropic.count_tokens'],
  anthropic: ['openai.chat'],
};

export function isTranslatable(clientApi: Api, upstream: Dialect): boolean {
  return upstream !== 'gemini' && TRANSLATABLE[upstream].includes(clientApi);
}

/**
 * Plans a translated request. Throws `not_translatable` (400) for an API the upstream
 * dialect cannot serve, or a feature the other dialect cannot express.
 */
export function planTranslation(i: TranslationInput): Translation {
  const t = i.target;
  if (i.clientApi === 'anthropic.messages' && t.dialect === 'openai') {
    const stopSequences = (asArray(i.body.stop_sequences) ?? []).filter((s): s is string => typeof s === 'string');
    const reply = { model: str(i.body.model), stopSequences, inputEstimate: i.inputEstimate };
    const maxTokensField = i.openaiNative ? 'max_completion_tokens' : 'max_tokens';
    return {
      upstreamApi: 'openai.chat',
      upstreamPath: '/v1/chat/completions',
      body: toChatRequest(i.body, t, { maxTokensField }),
      response: {
        stream: () => new ChatToAnthropicEvents(reply),
        body: (json) => JSON.stringify(toAnthropicMessage(asObject(json) ?? {}, reply)),
        error: (status, text) => anthropicErrorBody(status, text, i.requestId),
        failure: (message) => JSON.stringify({ type: 'error', error: { type: 'api_error', message }, request_id: i.requestId }),
        responseId: messageId,
      },
    };
  }
  if (i.clientApi === 'openai.chat' && t.dialect === 'openai' && isResponsesShapedChat(i.body)) {
    const reply = { model: str(i.body.model), includeUsage: asObject(i.body.stream_options)?.include_usage === true, created: i.now };
    return {
      upstreamApi: 'openai.responses',
      upstreamPath: '/v1/responses',
      body: toResponsesRequest(i.body),
      response: {
        stream: () => new ResponsesToChatEvents(reply),
        body: (json) => JSON.stringify(responseToChatCompletion(asObject(json) ?? {}, reply)),
        // The same dialect: the upstream's error is already the client's.
        error: (status, text) => ({ status, body: text ?? JSON.stringify({ error: { message: `HTTP ${status}`, type: 'server_error', param: null, code: null } }) }),
        failure: openaiFailureBody,
        responseId: completionId,
      },
    };
  }
  if (i.clientApi === 'openai.chat' && t.dialect === 'anthropic') {
    const options = asObject(i.body.stream_options);
    const reply = { model: str(i.body.model), includeUsage: options?.include_usage === true, created: i.now };
    return {
      upstreamApi: 'anthropic.messages',
      upstreamPath: '/v1/messages',
      body: toMessagesRequest(i.body, t),
      response: {
        stream: () => new AnthropicToChatEvents(reply),
        body: (json) => JSON.stringify(toChatCompletion(asObject(json) ?? {}, reply)),
        error: (status, text) => openaiErrorBody(status, text),
        failure: openaiFailureBody,
        responseId: completionId,
      },
    };
  }
  throw new GatewayError('not_translatable', `The ${i.clientApi} API cannot be served by the ${t.dialect} provider "${t.provider}": Tollgate translates Anthropic Messages to OpenAI Chat Completions and back (and a Responses-shaped chat request to the Responses API), nothing else.`, {
    details: { feature: i.clientApi, provider: t.provider, upstream_dialect: t.dialect },
  });
}
