/** The three wire dialects the gateway speaks. */
export type Dialect = 'openai' | 'anthropic' | 'gemini';
export const DIALECTS: readonly Dialect[] = ['openai', 'anthropic', 'gemini'];

/** The API surfaces recorded in the ledger's `api` column; the type is read from this list, so each is named once. */
export const APIS = [
  'openai.chat',
  'openai.chat_lookup',
  'openai.completions',
  'openai.responses',
  'openai.realtime',
  'openai.compact',
  'openai.responses_lookup',
  'openai.input_tokens',
  'openai.embeddings',
  'openai.images',
  'openai.audio',
  'openai.models',
  'openai.moderations',
  'openai.files',
  'openai.file_content',
  'openai.batches',
  'openai.batch_request',
  'openai.conversations',
  'openai.conversation_items',
  'openai.vector_stores',
  'openai.vector_store_files',
  'openai.skills',
  'openai.skill_versions',
  'openai.skill_content',
  'openai.containers',
  'openai.container_files',
  'openai.container_file_content',
  'anthropic.messages',
  'anthropic.count_tokens',
  'anthropic.models',
  'anthropic.batches',
  'anthropic.batch_results',
  'anthropic.batch_message',
  'anthropic.files',
  'anthropic.file_content',
  'anthropic.skills',
  'anthropic.skill_versions',
  'anthropic.skill_content',
  'gemini.generate',
  'gemini.count_tokens',
  'gemini.embed',
  'gemini.models',
  'gemini.caches',
  'gemini.caches_lookup',
  'gemini.files',
  'gemini.batches',
  'gemini.batch_request',
  'gemini.interactions',
  'gemini.interactions_lookup',
] as const;

export type Api = (typeof APIS)[number];

/**
 * APIs that cost nothing (listing models, counting tokens): their rows cost 0 whatever the
 * response says, and no budget, rate limit or routing rule applies to them. Batches' own
 * requests (create, list, retrieve, cancel, delete, results; OpenAI's files too) are free, as are
 * OpenAI's stored chat completions read back (listed, retrieved, updated, deleted: billed when made),
 * its conversations and their items (the Responses that use one are billed), its vector
 * stores, their files and searches (the provider bills their storage by the day, not per request),
 * its containers and their files (the provider bills a container by the session, a fee the price
 * catalog does not give; the Responses that run code in one are billed), and both providers'
 * skills, their versions and contents (the requests that load one are billed), and Gemini's
 * files (uploads, lookups, lists and deletes: Google bills no fee per file, which expires after 48 hours), and a Gemini
 * interaction's lookup, cancel and delete (its creation is billed): each
 * succeeded request in a batch is billed on its own row, `anthropic.batch_message`,
 * `openai.batch_request` or `gemini.batch_request`, from the batch's results (src/metering/batch-results.ts).
 */
export const FREE_APIS: ReadonlySet<Api> = new Set<Api>([
  'openai.chat_lookup',
  'openai.models',
  'openai.moderations',
  'openai.files',
  'openai.file_content',
  'openai.batches',
  'openai.conversations',
  'openai.conversation_items',
  'openai.vector_stores',
  'openai.vector_store_files',
  'openai.skills',
  'openai.skill_versions',
  'openai.skill_content',
  'openai.containers',
  'openai.container_files',
  'openai.container_file_content',
  'openai.input_tokens',
  'anthropic.count_tokens',
  'anthropic.models',
  'anthropic.batches',
  'anthropic.batch_results',
  'anthropic.files',
  'anthropic.file_content',
  'anthropic.skills',
  'anthropic.skill_versions',
  'anthropic.skill_content',
  'gemini.count_tokens',
  'gemini.models',
  'gemini.caches_lookup',
  'gemini.files',
  'gemini.batches',
  'gemini.interactions_lookup',
]);

/**
 * APIs billed by a unit the price catalog has no price for: a Gemini explicit cache is billed
 * per million tokens per hour of storage (protocols.md §4.5). Its creation's row keeps the
 * tokens it cached and is unpriced, never free.
 */
export const UNPRICED_APIS: ReadonlySet<Api> = new Set<Api>(['gemini.caches']);

/**
 * APIs that are billed though their responses may say nothing of it: Gemini's embeddings
 * (the Developer API's EmbedContentResponse has no token counts). A row of one whose response
 * reported none has its input estimated from the request (`usage_source: estimated`).
 */
export const UNREPORTED_USAGE_APIS: ReadonlySet<Api> = new Set<Api>(['gemini.embed']);

/** APIs whose requests hold a conversation: messages, a system prompt, tools, reasoning settings. */
export type ConversationApi =
  | 'openai.chat'
  | 'openai.responses'
  | 'openai.compact'
  | 'openai.input_tokens'
  | 'anthropic.messages'
  | 'anthropic.count_tokens'
  | 'gemini.generate'
  | 'gemini.count_tokens';

/**
 * Every other API, listed so that a new one does not compile until it is put on one side or
 * the other: a model list, a lookup, a file, a batch's own request or row, an embedding, a
 * moderation, an image prompt, audio to transcribe or text to speak, a text completion's bare prompt.
 */
const NO_CONVERSATION: Record<Exclude<Api, ConversationApi>, true> = {
  'openai.chat_lookup': true,
  'openai.completions': true,
  'openai.realtime': true,
  'gemini.caches': true,
  'gemini.caches_lookup': true,
  'gemini.files': true,
  'gemini.batches': true,
  'gemini.batch_request': true,
  // An interaction's turn holds a conversation, but in its own shape (input, steps), which no conversation reader knows yet: metered and checked, not read.
  'gemini.interactions': true,
  'gemini.interactions_lookup': true,
  'openai.embeddings': true,
  'openai.images': true,
  'openai.audio': true,
  'openai.models': true,
  'openai.moderations': true,
  'openai.responses_lookup': true,
  'openai.files': true,
  'openai.file_content': true,
  'openai.batches': true,
  'openai.batch_request': true,
  'openai.conversations': true,
  'openai.conversation_items': true,
  'openai.vector_stores': true,
  'openai.vector_store_files': true,
  'openai.skills': true,
  'openai.skill_versions': true,
  'openai.skill_content': true,
  'openai.containers': true,
  'openai.container_files': true,
  'openai.container_file_content': true,
  'anthropic.models': true,
  'anthropic.batches': true,
  'anthropic.batch_results': true,
  'anthropic.batch_message': true,
  'anthropic.files': true,
  'anthropic.file_content': true,
  'anthropic.skills': true,
  'anthropic.skill_versions': true,
  'anthropic.skill_content': true,
  'gemini.embed': true,
  'gemini.models': true,
};

export function isConversation(api: Api): api is ConversationApi {
  return !Object.hasOwn(NO_CONVERSATION, api);
}

export function dialectOf(api: Api): Dialect {
  return api.slice(0, api.indexOf('.')) as Dialect;
}

/**
 * What happened to a request, from the client's point of view.
 * - `upstream_error`: the provider answered with an error, including an error event
 *   inside a 200 stream (the row's `status` stays what the client got).
 * - `rejected`: the gateway refused it (bad key, bad input, policy).
 * - `client_aborted`: the client went away before the response ended.
 * - `truncated`: the upstream response ended early (connection drop, cut stream).
 * - `gateway_error`: the gateway itself failed.
 */
export type Outcome = 'ok' | 'upstream_error' | 'rejected' | 'client_aborted' | 'truncated' | 'gateway_error';

export const OUTCOMES: readonly Outcome[] = ['ok', 'upstream_error', 'rejected', 'client_aborted', 'truncated', 'gateway_error'];
