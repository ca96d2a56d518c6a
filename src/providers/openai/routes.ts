import { type PathMatch, type RouteLookup, type RouteSpec, decodeSegment, lookupIn, modelAfter, resourceAt, subResourceAt } from '../shared/routes.js';

const CHAT = '/v1/chat/completions';
const FILES = '/v1/files';
const BATCHES = '/v1/batches';
const CONVERSATIONS = '/v1/conversations';
const VECTOR_STORES = '/v1/vector_stores';
const SKILLS = '/v1/skills';
const skillVersion = (suffix: string) => subResourceAt(SKILLS, 'versions', suffix);
const CONTAINERS = '/v1/containers';

// A conversation's items, a vector store's files and file batches, a container's files: the holder's id is
// the resource (its owner is theirs), as a skill's versions are.
const conversationItem = subResourceAt(CONVERSATIONS, 'items', '');
const storePart = (part: 'files' | 'file_batches', action?: 'content' | 'cancel' | 'files') => subResourceAt(VECTOR_STORES, part, action === undefined ? '' : `/${action}`);
const containerFile = (suffix: string) => subResourceAt(CONTAINERS, 'files', suffix);

/** `/v1/responses/{id}` and its sub-resources; `compact` and `input_tokens` are other endpoints of their own, not ids. */
function storedResponse(suffix: string): (pathname: string) => PathMatch | undefined {
  return (pathname) => {
    if (!pathname.startsWith('/v1/responses/') || !pathname.endsWith(suffix)) return undefined;
    const id = pathname.slice('/v1/responses/'.length, pathname.length - suffix.length);
    const resourceId = id.includes('/') || id === 'compact' || id === 'input_tokens' ? undefined : decodeSegment(id);
    return resourceId === undefined ? undefined : { resourceId };
  };
}

export const OPENAI_ROUTES: readonly RouteSpec[] = [
  { api: 'openai.chat', method: 'POST', path: CHAT },
  // Chat completions made with `store: true`, read back: free (billed when made). `POST {id}` updates one's metadata, it makes none.
  { api: 'openai.chat_lookup', method: 'GET', path: CHAT, noBody: true },
  { api: 'openai.chat_lookup', method: 'GET', path: resourceAt(CHAT, ''), noBody: true },
  { api: 'openai.chat_lookup', method: 'POST', path: resourceAt(CHAT, '') },
  { api: 'openai.chat_lookup', method: 'DELETE', path: resourceAt(CHAT, ''), noBody: true },
  { api: 'openai.chat_lookup', method: 'GET', path: resourceAt(CHAT, '/messages'), noBody: true },
  // The legacy text Completions API: local servers (vLLM, llama.cpp, Ollama) serve it, code completion (fill-in-the-middle) uses it.
  { api: 'openai.completions', method: 'POST', path: '/v1/completions' },
  { api: 'openai.responses', method: 'POST', path: '/v1/responses' },
  { api: 'openai.compact', method: 'POST', path: '/v1/responses/compact' },
  { api: 'openai.input_tokens', method: 'POST', path: '/v1/responses/input_tokens' },
  { api: 'openai.embeddings', method: 'POST', path: '/v1/embeddings' },
  { api: 'openai.moderations', method: 'POST', path: '/v1/moderations' },
  // Images: a JSON request, or a form with the pictures to edit (its model and stream read from the form).
  { api: 'openai.images', method: 'POST', path: '/v1/images/generations' },
  { api: 'openai.images', method: 'POST', path: '/v1/images/edits', rawBody: true },
  { api: 'openai.images', method: 'POST', path: '/v1/images/variations', rawBody: true },
  // Audio: the recording to transcribe or translate is a form; speech is asked for in JSON.
  { api: 'openai.audio', method: 'POST', path: '/v1/audio/transcriptions', rawBody: true },
  { api: 'openai.audio', method: 'POST', path: '/v1/audio/translations', rawBody: true },
  { api: 'openai.audio', method: 'POST', path: '/v1/audio/speech' },
  { api: 'openai.models', method: 'GET', path: '/v1/models', noBody: true },
  { api: 'openai.models', method: 'GET', path: modelAfter('/v1/models/'), noBody: true },
  // A stored response is billed once, when it is created: looking it up, cancelling or deleting it is not.
  { api: 'openai.responses_lookup', method: 'GET', path: storedResponse(''), noBody: true, streamQuery: 'stream' },
  { api: 'openai.responses_lookup', method: 'DELETE', path: storedResponse(''), noBody: true },
  { api: 'openai.responses_lookup', method: 'POST', path: storedResponse('/cancel'), noBody: true },
  { api: 'openai.responses_lookup', method: 'GET', path: storedResponse('/input_items'), noBody: true },
  // The Batch API and the files it reads and writes: free; each request of a batch is billed from the batch's output file.
  { api: 'openai.files', method: 'POST', path: FILES, rawBody: true, firstOnly: true },
  { api: 'openai.files', method: 'GET', path: FILES, noBody: true, firstOnly: true },
  { api: 'openai.files', method: 'GET', path: resourceAt(FILES, ''), noBody: true, firstOnly: true },
  { api: 'openai.files', method: 'DELETE', path: resourceAt(FILES, ''), noBody: true, firstOnly: true },
  { api: 'openai.file_content', method: 'GET', path: resourceAt(FILES, '/content'), noBody: true, firstOnly: true },
  { api: 'openai.batches', method: 'POST', path: BATCHES },
  { api: 'openai.batches', method: 'GET', path: BATCHES, noBody: true },
  { api: 'openai.batches', method: 'GET', path: resourceAt(BATCHES, ''), noBody: true },
  { api: 'openai.batches', method: 'POST', path: resourceAt(BATCHES, '/cancel'), noBody: true },
  // Conversations keep a Responses conversation's items at the provider: free; the Responses that use one are billed.
  { api: 'openai.conversations', method: 'POST', path: CONVERSATIONS },
  { api: 'openai.conversations', method: 'GET', path: resourceAt(CONVERSATIONS, ''), noBody: true },
  { api: 'openai.conversations', method: 'POST', path: resourceAt(CONVERSATIONS, '') },
  { api: 'openai.conversations', method: 'DELETE', path: resourceAt(CONVERSATIONS, ''), noBody: true },
  { api: 'openai.conversation_items', method: 'GET', path: resourceAt(CONVERSATIONS, '/items'), noBody: true },
  { api: 'openai.conversation_items', method: 'POST', path: resourceAt(CONVERSATIONS, '/items') },
  { api: 'openai.conversation_items', method: 'GET', path: conversationItem, noBody: true },
  { api: 'openai.conversation_items', method: 'DELETE', path: conversationItem, noBody: true },
  // Vector stores hold the files a Responses file_search tool searches: free, their storage is billed by the day; the Responses that search are billed.
  { api: 'openai.vector_stores', method: 'POST', path: VECTOR_STORES },
  { api: 'openai.vector_stores', method: 'GET', path: VECTOR_STORES, noBody: true },
  { api: 'openai.vector_stores', method: 'GET', path: resourceAt(VECTOR_STORES, ''), noBody: true },
  { api: 'openai.vector_stores', method: 'POST', path: resourceAt(VECTOR_STORES, '') },
  { api: 'openai.vector_stores', method: 'DELETE', path: resourceAt(VECTOR_STORES, ''), noBody: true },
  { api: 'openai.vector_stores', method: 'POST', path: resourceAt(VECTOR_STORES, '/search') },
  { api: 'openai.vector_store_files', method: 'POST', path: resourceAt(VECTOR_STORES, '/files') },
  { api: 'openai.vector_store_files', method: 'GET', path: resourceAt(VECTOR_STORES, '/files'), noBody: true },
  { api: 'openai.vector_store_files', method: 'GET', path: storePart('files'), noBody: true },
  { api: 'openai.vector_store_files', method: 'POST', path: storePart('files') },
  { api: 'openai.vector_store_files', method: 'DELETE', path: storePart('files'), noBody: true },
  { api: 'openai.vector_store_files', method: 'GET', path: storePart('files', 'content'), noBody: true },
  { api: 'openai.vector_store_files', method: 'POST', path: resourceAt(VECTOR_STORES, '/file_batches') },
  { api: 'openai.vector_store_files', method: 'GET', path: storePart('file_batches'), noBody: true },
  { api: 'openai.vector_store_files', method: 'POST', path: storePart('file_batches', 'cancel'), noBody: true },
  { api: 'openai.vector_store_files', method: 'GET', path: storePart('file_batches', 'files'), noBody: true },
  // Skills, which a shell tool's container loads: free (the Responses that load one are billed). Anthropic's
  // Skills API has the same paths (firstOnly, as files). A skill or a version is uploaded (streamed, as a file).
  { api: 'openai.skills', method: 'POST', path: SKILLS, rawBody: true, firstOnly: true },
  { api: 'openai.skills', method: 'GET', path: SKILLS, noBody: true, firstOnly: true },
  { api: 'openai.skills', method: 'GET', path: resourceAt(SKILLS, ''), noBody: true, firstOnly: true },
  { api: 'openai.skills', method: 'POST', path: resourceAt(SKILLS, ''), firstOnly: true },
  { api: 'openai.skills', method: 'DELETE', path: resourceAt(SKILLS, ''), noBody: true, firstOnly: true },
  { api: 'openai.skill_content', method: 'GET', path: resourceAt(SKILLS, '/content'), noBody: true, firstOnly: true },
  { api: 'openai.skill_versions', method: 'POST', path: resourceAt(SKILLS, '/versions'), rawBody: true, firstOnly: true },
  { api: 'openai.skill_versions', method: 'GET', path: resourceAt(SKILLS, '/versions'), noBody: true, firstOnly: true },
  { api: 'openai.skill_versions', method: 'GET', path: skillVersion(''), noBody: true, firstOnly: true },
  { api: 'openai.skill_versions', method: 'DELETE', path: skillVersion(''), noBody: true, firstOnly: true },
  { api: 'openai.skill_content', method: 'GET', path: skillVersion('/content'), noBody: true, firstOnly: true },
  // Containers a code interpreter runs code in, made ahead and their files: free calls; the provider bills each container by the session, unpriced.
  { api: 'openai.containers', method: 'POST', path: CONTAINERS },
  { api: 'openai.containers', method: 'GET', path: CONTAINERS, noBody: true },
  { api: 'openai.containers', method: 'GET', path: resourceAt(CONTAINERS, ''), noBody: true },
  { api: 'openai.containers', method: 'DELETE', path: resourceAt(CONTAINERS, ''), noBody: true },
  // A file given by `file_id` in JSON; one uploaded (multipart/form-data) is streamed through (gateway/upload.ts).
  { api: 'openai.container_files', method: 'POST', path: resourceAt(CONTAINERS, '/files') },
  { api: 'openai.container_files', method: 'GET', path: resourceAt(CONTAINERS, '/files'), noBody: true },
  { api: 'openai.container_files', method: 'GET', path: containerFile(''), noBody: true },
  { api: 'openai.container_files', method: 'DELETE', path: containerFile(''), noBody: true },
  { api: 'openai.container_file_content', method: 'GET', path: containerFile('/content'), noBody: true },
];

export function lookupOpenaiRoute(method: string, pathname: string, first = true): RouteLookup {
  return lookupIn('openai', OPENAI_ROUTES, method, pathname, first);
}
