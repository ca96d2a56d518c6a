import { type Usage, zeroUsage } from '../../core/usage.js';
import type { Api } from '../../core/api.js';
import { type JsonObject, asArray, asObject, asText, dig, parseJson } from '../shared/json.js';
import { nothingMetered, sourceOf, withResponseId, withTier, withToolCalls } from '../shared/metered.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { Metered } from '../types.js';
import { audioUsage, readAudioBody } from './audio.js';
import { imagesUsage, readImagesBody } from './images.js';
import { readResponseBody } from './responses-body.js';
import { closingMember } from '../shared/closing-member.js';
import { chatUsage, embeddingsUsage, responsesUsage, timingsCacheN } from './usage.js';

/**
 * APIs whose body is a Response, or a compaction (`response.compaction`: output items and a
 * Response's usage, without model or status).
 */
const RESPONSE_BODIES: ReadonlySet<Api> = new Set<Api>(['openai.responses', 'openai.responses_lookup', 'openai.compact']);

/** Reads a whole 2xx JSON body of one of the OpenAI APIs that are not free; `tail`, the end of one too large to copy, for its usage. */
export function readOpenaiBody(api: Api, text: string | undefined, complete: boolean, tail?: Buffer): Metered {
  if (text === undefined && tail !== undefined) return readTail(api, tail, complete);
  const body = text === undefined ? undefined : asObject(parseJson(text));
  return body === undefined ? nothingMetered(complete) : readOpenaiObject(api, body, complete);
}

/** An OpenAI API's 2xx body, parsed: a Response, an embeddings list, or a chat (or text) completion. */
export function readOpenaiObject(api: Api, body: JsonObject, complete: boolean): Metered {
  if (RESPONSE_BODIES.has(api)) return readResponseBody(body, complete);
  if (api === 'openai.embeddings') return readEmbeddings(body, complete);
  if (api === 'openai.images') return readImagesBody(body, complete);
  if (api === 'openai.audio') return readAudioBody(body, complete);
  return readChatCompletion(body, complete);
}

/** A `chat.completion` object (protocols.md §1.3), from OpenAI or a local server. */
function readChatCompletion(body: JsonObject, complete: boolean): Metered {
  const usage = asObject(body.usage);
  const mapped = usage === undefined ? zeroUsage() : chatUsage(usage, timingsCacheN(body));
  const m: Metered = {
    usage: withToolCalls(mapped, countMessageToolCalls(body)),
    usageSource: sourceOf(usage !== undefined, true),
    servedModel: asText(body.model),
    error: errorFromValue(body),
    sawEnd: complete,
  };
  return withResponseId(withTier(m, asText(body.service_tier)), asText(body.id));
}

function countMessageToolCalls(body: JsonObject): number {
  let n = 0;
  for (const choice of asArray(body.choices) ?? []) {
    const message = dig(choice, 'message');
    n += asArray(dig(message, 'tool_calls'))?.length ?? 0;
    if (asObject(dig(message, 'function_call')) !== undefined) n += 1;
  }
  return n;
}

function readEmbeddings(body: JsonObject, complete: boolean): Metered {
  const usage = asObject(body.usage);
  return {
    usage: usage === undefined ? zeroUsage() : embeddingsUsage(usage),
    usageSource: sourceOf(usage !== undefined, true),
    servedModel: asText(body.model),
    error: errorFromValue(body),
    sawEnd: complete,
  };
}

/**
 * The reader of a body's last bytes for the APIs metered by members that close the body, after
 * its bulk: an embeddings list (`model` and `usage` after the vectors) and an image answer
 * (`usage` after the images). Parsing megabytes of vectors or base64 to reach them would hold the
 * event loop for tens to hundreds of milliseconds. A reader gives undefined unless what it needs
 * closes the body there, and the body is then parsed whole.
 */
export function closingTailReader(api: Api): ((tail: Buffer, complete: boolean) => Metered | undefined) | undefined {
  if (api !== 'openai.embeddings' && api !== 'openai.images') return undefined;
  // An image answer names no model, parsed or not.
  const needsModel = api === 'openai.embeddings';
  return (tail, complete) => {
    const m = readTail(api, tail, complete);
    return m.usageSource !== 'none' && (!needsModel || m.servedModel !== undefined) ? m : undefined;
  };
}

/** The usage of a body too large to copy, mapped by its API. */
function tailUsage(api: Api, usage: JsonObject, tail: Buffer): Usage {
  if (api === 'openai.embeddings') return embeddingsUsage(usage);
  if (api === 'openai.images') return imagesUsage(usage);
  if (api === 'openai.audio') return audioUsage(usage, false) ?? zeroUsage();
  // A Response's tool_usage and tools come after its output, so they are in the tail as well.
  if (RESPONSE_BODIES.has(api)) return responsesUsage(usage, closingMember(tail, 'tool_usage'), closingMember(tail, 'tools'));
  return chatUsage(usage);
}

/**
 * A body too large to copy (an embeddings batch of large vectors passes 32 MB): OpenAI writes
 * `usage` after the data, so the body's last bytes still give the usage and the model.
 */
function readTail(api: Api, tail: Buffer, complete: boolean): Metered {
  const usage = asObject(closingMember(tail, 'usage'));
  const mapped = usage === undefined ? zeroUsage() : tailUsage(api, usage, tail);
  const model = asText(closingMember(tail, 'model'));
  return { usage: mapped, usageSource: sourceOf(usage !== undefined, true), servedModel: model, error: undefined, sawEnd: complete };
}
