import { buildCountTokens, buildMessages } from './anthropic.js';
import { batchRoute, buildBatches } from './anthropic-batches.js';
import { anthropicFileRoute, buildAnthropicFiles } from './anthropic-files.js';
import { buildGemini, buildGeminiModels, geminiPath, isModelResource } from './gemini.js';
import { buildGeminiCaches, geminiCacheRoute } from './gemini-caches.js';
import { buildGeminiFiles, geminiFileRoute } from './gemini-files.js';
import { buildGeminiBatches, geminiBatchRoute } from './gemini-batches.js';
import { buildGeminiInteractions, geminiInteractionRoute } from './gemini-interactions.js';
import { buildOpenaiBatches, openaiBatchRoute } from './openai-batches.js';
import { buildChat, buildCompletions } from './openai-chat.js';
import { buildStoredChat, storedChatRoute } from './openai-stored-chat.js';
import { buildConversations, conversationRoute } from './openai-conversations.js';
import { buildVectorStores, vectorStoreRoute } from './openai-vector-stores.js';
import { buildContainers, containerRoute } from './openai-containers.js';
import { buildAudio } from './openai-audio.js';
import { buildImages } from './openai-images.js';
import { buildEmbeddings, buildModels, buildModerations } from './openai-misc.js';
import { buildCompact, buildInputTokens, buildResponseLookup, buildResponses, responseLookup } from './openai-responses.js';
import { buildSkills, skillRoute } from './skills.js';
import type { Builder, Dialect } from './reply.js';

export interface Route {
  name: string;
  dialect: Dialect;
  build: Builder;
  /** POST routes need a JSON body, as the real APIs do. */
  json: boolean;
  /** The error shape of Gemini's non-SSE stream, which wraps everything in an array. */
  arrayWrapped?: boolean;
  /** Answers from state (Message Batches): never served from the reply cache. */
  stateful?: boolean;
  /** Answers the requests it is true of from state too (a chat completion to store). */
  statefulFor?: (body: Readonly<Record<string, unknown>>) => boolean;
}

const OPENAI_POST: Record<string, Route> = {
  '/chat/completions': { name: 'openai.chat', dialect: 'openai', build: buildChat, json: true, statefulFor: (body) => body.store === true },
  '/completions': { name: 'openai.completions', dialect: 'openai', build: buildCompletions, json: true },
  '/responses': { name: 'openai.responses', dialect: 'openai', build: buildResponses, json: true },
  '/responses/compact': { name: 'openai.compact', dialect: 'openai', build: buildCompact, json: true },
  '/responses/input_tokens': { name: 'openai.input_tokens', dialect: 'openai', build: buildInputTokens, json: true },
  '/embeddings': { name: 'openai.embeddings', dialect: 'openai', build: buildEmbeddings, json: true },
  '/moderations': { name: 'openai.moderations', dialect: 'openai', build: buildModerations, json: true },
  '/images/generations': { name: 'openai.images', dialect: 'openai', build: buildImages, json: true },
  // Forms: the pictures to edit and the text fields.
  '/images/edits': { name: 'openai.images', dialect: 'openai', build: buildImages, json: false },
  '/images/variations': { name: 'openai.images', dialect: 'openai', build: buildImages, json: false },
  '/audio/transcriptions': { name: 'openai.audio', dialect: 'openai', build: buildAudio, json: false },
  '/audio/translations': { name: 'openai.audio', dialect: 'openai', build: buildAudio, json: false },
  '/audio/speech': { name: 'openai.audio', dialect: 'openai', build: buildAudio, json: true },
};

const ANTHROPIC_POST: Record<string, Route> = {
  '/v1/messages': { name: 'anthropic.messages', dialect: 'anthropic', build: buildMessages, json: true },
  '/v1/messages/count_tokens': { name: 'anthropic.count_tokens', dialect: 'anthropic', build: buildCountTokens, json: true },
};

const GEMINI_METHODS: Record<string, string> = {
  generateContent: 'gemini.generate',
  streamGenerateContent: 'gemini.stream',
  countTokens: 'gemini.count_tokens',
  embedContent: 'gemini.embed',
  batchEmbedContents: 'gemini.batch_embed',
};

/**
 * OpenAI paths are accepted with or without `/v1`, so that an SDK can use the bare
 * origin as its base URL; the recorded path shows which one was asked.
 */
export function findRoute(method: string, path: string, headers: Readonly<Record<string, string>>, query: Readonly<Record<string, string>>): Route | undefined {
  const openaiPath = path.startsWith('/v1/') ? path.slice(3) : path;
  const batches = batchRoute(method, path);
  if (batches !== undefined) return { name: batches, dialect: 'anthropic', build: buildBatches, json: batches === 'anthropic.batches.create', stateful: true };
  const anthropicFiles = headers['anthropic-version'] !== undefined ? anthropicFileRoute(method, path) : undefined;
  if (anthropicFiles !== undefined) return { name: anthropicFiles, dialect: 'anthropic', build: buildAnthropicFiles, json: false, stateful: true };
  // `/v1/files` and `/v1/batches` are OpenAI's, and Gemini's stable version's for a request with a Gemini key.
  const shared = /^\/v1\/(?:files|batches)(?:\/|$)/.test(path);
  const gemini = shared && (headers['x-goog-api-key'] !== undefined || query.key !== undefined);
  const openaiBatches = gemini ? undefined : openaiBatchRoute(method, openaiPath);
  if (openaiBatches !== undefined) return { name: openaiBatches, dialect: 'openai', build: buildOpenaiBatches, json: openaiBatches === 'openai.batches.create', stateful: true };
  const caches = geminiCacheRoute(method, path);
  if (caches !== undefined) return { name: caches, dialect: 'gemini', build: buildGeminiCaches, json: caches === 'gemini.caches.create' || caches === 'gemini.caches.update', stateful: true };
  const files = gemini || !shared ? geminiFileRoute(method, path, query) : undefined;
  if (files !== undefined) return { name: files, dialect: 'gemini', build: buildGeminiFiles, json: false, stateful: true };
  const geminiBatches = gemini || !shared ? geminiBatchRoute(method, path) : undefined;
  if (geminiBatches !== undefined) return { name: geminiBatches, dialect: 'gemini', build: buildGeminiBatches, json: geminiBatches.startsWith('gemini.batches.create'), stateful: true };
  const interactions = geminiInteractionRoute(method, path);
  if (interactions !== undefined) return { name: interactions, dialect: 'gemini', build: buildGeminiInteractions, json: interactions === 'gemini.interactions.create', stateful: true };
  const skills = skillRoute(method, openaiPath, headers['anthropic-version'] !== undefined ? 'anthropic' : 'openai');
  if (skills !== undefined) return { name: skills, dialect: skills.startsWith('anthropic') ? 'anthropic' : 'openai', build: buildSkills, json: skills.endsWith('.update'), stateful: true };
  const conversations = conversationRoute(method, openaiPath);
  if (conversations !== undefined) return { name: conversations, dialect: 'openai', build: buildConversations, json: method === 'POST', stateful: true };
  const vectorStores = vectorStoreRoute(method, openaiPath);
  if (vectorStores !== undefined) return { name: vectorStores, dialect: 'openai', build: buildVectorStores, json: method === 'POST' && !vectorStores.endsWith('.cancel'), stateful: true };
  const containers = containerRoute(method, openaiPath);
  // A container's file is added as a form or named in JSON.
  if (containers !== undefined) return { name: containers, dialect: 'openai', build: buildContainers, json: method === 'POST' && !/^multipart\//i.test(headers['content-type'] ?? ''), stateful: true };
  const storedChat = storedChatRoute(method, openaiPath);
  if (storedChat !== undefined) return { name: storedChat, dialect: 'openai', build: buildStoredChat, json: method === 'POST', stateful: true };
  const lookup = responseLookup(method, openaiPath);
  if (lookup !== undefined) return { name: lookup, dialect: 'openai', build: buildResponseLookup, json: false };
  if (method === 'POST') {
    const r = ANTHROPIC_POST[path] ?? OPENAI_POST[openaiPath];
    if (r !== undefined) return r;
    const g = geminiPath(path);
    const name = g === undefined ? undefined : GEMINI_METHODS[g.method];
    if (name === undefined) return undefined;
    const arrayWrapped = name === 'gemini.stream' && query.alt !== 'sse';
    return { name, dialect: 'gemini', build: buildGemini, json: true, arrayWrapped };
  }
  if (method === 'GET' && isModelResource(path)) return { name: 'gemini.models', dialect: 'gemini', build: buildGeminiModels, json: false };
  if (method === 'GET' && /^\/models(\/[^/]+)?$/.test(openaiPath)) {
    const anthropic = headers['anthropic-version'] !== undefined;
    return { name: anthropic ? 'anthropic.models' : 'openai.models', dialect: anthropic ? 'anthropic' : 'openai', build: buildModels, json: false };
  }
  return undefined;
}

/** The dialect to answer an unknown path in, guessed from what the client sent. */
export function guessDialect(path: string, headers: Readonly<Record<string, string>>): Dialect {
  if (headers['anthropic-version'] !== undefined) return 'anthropic';
  if (headers['x-goog-api-key'] !== undefined || path.startsWith('/v1beta/')) return 'gemini';
  return 'openai';
}
