import type { Api, Dialect } from '../../core/api.js';
import type { ObjectOwner } from '../../identity/stored-objects.js';
import type { RequestFacts } from '../../metering/build-row.js';
import { cachedContentName } from '../../providers/gemini/caches.js';
import { mayNameFiles as mayNameGeminiFiles, namedFiles as geminiFiles } from '../../providers/gemini/files.js';
import { geminiBatchCaches, geminiBatchFile, geminiBatchRequests } from '../../providers/gemini/batches.js';
import { interactionFiles, mayNameInteractionFiles } from '../../providers/gemini/interactions.js';
import { batchStored } from '../../providers/shared/batch-results-tap.js';
import { asArray, asObject } from '../../providers/shared/json.js';
import { isResponsesShapedChat } from '../../providers/openai/request.js';
import type { RouteMatch } from '../../providers/types.js';
import type { UpstreamProvider } from '../select-provider.js';
import type { OwnedObject } from '../../storage/object-owners.js';
import { CONTENT_APIS, contentFiles, mayNameFiles } from './content-files.js';
import { namedContainers, referencedItems } from './reused.js';
import { searchedStores, storedFiles } from './vector-stores.js';
import { imageEditFiles } from './image-edits.js';
import { namedSkills, readsAnthropicSkill } from './skills.js';

/** What a refusal calls each kind of object, by the API that names it. */
const NOUNS: Partial<Record<Api, string>> = {
  'openai.chat_lookup': 'chat completion',
  'openai.responses': 'response',
  'openai.responses_lookup': 'response',
  'openai.compact': 'response',
  'openai.input_tokens': 'response',
  'openai.files': 'file',
  'openai.file_content': 'file',
  'openai.batches': 'batch',
  'openai.conversations': 'conversation',
  'openai.conversation_items': 'conversation',
  'openai.vector_stores': 'vector store',
  'openai.vector_store_files': 'vector store',
  'openai.skills': 'skill',
  'openai.skill_versions': 'skill',
  'openai.skill_content': 'skill',
  'openai.containers': 'container',
  'openai.container_files': 'container',
  'openai.container_file_content': 'container',
  'anthropic.batches': 'message batch',
  'anthropic.batch_results': 'message batch',
  'anthropic.files': 'file',
  'anthropic.file_content': 'file',
  'anthropic.skills': 'skill',
  'anthropic.skill_versions': 'skill',
  'anthropic.skill_content': 'skill',
  'gemini.caches_lookup': 'cached content',
  'gemini.batches': 'batch',
  'gemini.generate': 'cached content',
  'gemini.count_tokens': 'cached content',
  'gemini.files': 'file',
  'gemini.interactions': 'interaction',
  'gemini.interactions_lookup': 'interaction',
};

/** The Gemini APIs whose request parts may name an uploaded file (`fileData.fileUri`): generation, token counts, embeddings, a cache's creation. */
const GEMINI_PARTS: ReadonlySet<Api> = new Set<Api>(['gemini.generate', 'gemini.count_tokens', 'gemini.embed', 'gemini.caches']);

/** The APIs whose requests name a stored object (in their path, their body or their messages' content), make one, or list them: the only ones asked about owners. */
export function touchesObjects(api: Api): boolean {
  return api in NOUNS || GEMINI_PARTS.has(api) || CONTENT_APIS.has(api) || api === 'openai.images';
}

export interface NamedObjects {
  ids: string[];
  noun: string;
}

/**
 * The stored objects a request uses, by id, a group for each kind: the one its path names (a stored chat completion, a response,
 * file, batch, cache, conversation, vector store, skill: not one of Anthropic's own, skills.ts), or one its body continues or reads, where that is a top-level field
 * (`previous_response_id`, a Responses request's `conversation`, a batch's `input_file_id`, Gemini's `cachedContent`, a chat request's
 * `google.cached_content`); the files a vector store is given and the vector stores a file search
 * tool searches (vector-stores.ts); the files a container is made with or given (containerFiles);
 * the containers it runs code in again and the stored Responses' items its
 * input references (reused.ts), also among the items a conversation is created with or given; the custom skills its container loads (skills.ts);
 * and the files its messages' content names (content-files.ts),
 * looked for only when its bytes (`raw`, when at hand) may hold a `file_id`; Gemini's files its parts
 * name (`fileData.fileUri`: providers/gemini/files.ts), only when they may hold a `fileUri`. Empty when it names none.
 */
export function namedObjects(asked: RouteMatch, json: unknown, raw?: Buffer): NamedObjects[] {
  // A Responses-shaped chat request (Cursor's) goes upstream as it is, to the Responses API: it names what a Responses request names.
  const route: RouteMatch = asked.api === 'openai.chat' && asked.method === 'POST' && isResponsesShapedChat(json) ? { ...asked, api: 'openai.responses' } : asked;
  const out: NamedObjects[] = [];
  const own = ownNamed(route, json);
  if (own !== undefined) out.push(own);
  const conversation = continuedConversation(route, json);
  if (conversation !== undefined) out.push({ ids: [conversation], noun: 'conversation' });
  const group = (ids: string[], noun: string) => {
    if (ids.length > 0) out.push({ ids, noun });
  };
  group(storedFiles(route, json), 'file');
  group(containerFiles(route, json), 'file');
  group(imageEditFiles(route, json), 'file');
  if (route.api === 'gemini.batches' && route.method === 'POST' && route.resourceId === undefined) {
    // A batch's requests read what they name as each sent alone would: its input file, the files and caches its inline requests name.
    const file = geminiBatchFile(json);
    const inline = mayNameGeminiFiles(raw) ? geminiBatchRequests(json).flatMap((r) => geminiFiles(r)) : [];
    group([...new Set([...(file === undefined ? [] : [file]), ...inline])], 'file');
    group(geminiBatchCaches(json), 'cached content');
  }
  if (route.api === 'openai.containers' && route.method === 'POST' && route.resourceId === undefined) group(namedSkills(route.api, json), 'skill');
  if (GEMINI_PARTS.has(route.api) && route.method === 'POST' && route.resourceId === undefined && mayNameGeminiFiles(raw)) group(geminiFiles(json), 'file');
  if (route.api === 'gemini.interactions' && route.method === 'POST') {
    // Its cache is checked as generateContent's, the files its input names as its parts'.
    const cache = cachedContentName(json);
    group(cache === undefined ? [] : [cache], 'cached content');
    if (mayNameInteractionFiles(raw)) group(interactionFiles(json), 'file');
  }
  const added = addedItems(route, json);
  if (added !== undefined) {
    group(referencedItems('openai.responses', added), 'item');
    group(searchedStores('openai.responses', added), 'vector store');
    if (mayNameFiles(raw)) group(contentFiles('openai.responses', added), 'file');
    return out;
  }
  if (route.method !== 'POST' || route.resourceId !== undefined || !CONTENT_APIS.has(route.api)) return out;
  group(namedContainers(route.api, json), 'container');
  group(searchedStores(route.api, json), 'vector store');
  group(namedSkills(route.api, json), 'skill');
  group(referencedItems(route.api, json), 'item');
  if (mayNameFiles(raw)) group(contentFiles(route.api, json), 'file');
  return out;
}

function ownNamed(route: RouteMatch, json: unknown): NamedObjects | undefined {
  if (route.api === 'openai.chat') {
    // Gemini's OpenAI-compatible endpoint takes a cache as `google.cached_content`: an OpenAI-dialect provider may lead there (a proxy in front of it).
    const cache = cachedContentName(json);
    return cache === undefined ? undefined : { ids: [cache], noun: 'cached content' };
  }
  const noun = NOUNS[route.api];
  if (noun === undefined) return undefined;
  if (route.resourceId !== undefined) return readsAnthropicSkill(route) ? undefined : { ids: [route.resourceId], noun };
  if (route.method !== 'POST') return undefined;
  if (route.api === 'gemini.interactions') {
    // An interaction continues a stored one (the SDK's own continuation hops do too).
    const previous = previousInteraction(json);
    return previous === undefined ? undefined : { ids: [previous], noun };
  }
  if (route.dialect === 'gemini') {
    const cache = cachedContentName(json);
    return cache === undefined ? undefined : { ids: [cache], noun };
  }
  const field = noun === 'response' ? 'previous_response_id' : route.api === 'openai.batches' ? 'input_file_id' : undefined;
  const id = field === undefined ? undefined : (json as Record<string, unknown> | undefined)?.[field];
  return typeof id === 'string' && id !== '' ? { ids: [id], noun: field === 'input_file_id' ? 'file' : noun } : undefined;
}

/** The stored interaction an Interactions create continues: `previous_interaction_id`. */
function previousInteraction(json: unknown): string | undefined {
  const id = asObject(json)?.previous_interaction_id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** The conversation a Responses request (or its input token count) continues: `conversation`, an id or `{id}`. */
function continuedConversation(route: RouteMatch, json: unknown): string | undefined {
  if (route.method !== 'POST' || (route.api !== 'openai.responses' && route.api !== 'openai.input_tokens')) return undefined;
  const c = asObject(json)?.conversation;
  const id = typeof c === 'string' ? c : asObject(c)?.id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** The uploaded files a container is made with (`file_ids`) or given (`file_id`), which the provider copies into it. */
function containerFiles(route: RouteMatch, json: unknown): string[] {
  if (route.method !== 'POST') return [];
  const body = asObject(json);
  const ids = route.api === 'openai.containers' && route.resourceId === undefined ? asArray(body?.file_ids) : route.api === 'openai.container_files' ? [body?.file_id] : undefined;
  return [...new Set((ids ?? []).filter((id): id is string => typeof id === 'string' && id !== ''))];
}

/** The items a conversation is created with or given (`items`: Responses input items), as a Responses body's `input`. */
function addedItems(route: RouteMatch, json: unknown): { input: unknown } | undefined {
  if (route.method !== 'POST' || !(route.api === 'openai.conversation_items' || (route.api === 'openai.conversations' && route.resourceId === undefined))) return undefined;
  return { input: asObject(json)?.items };
}

/** The APIs whose list (a GET without an id) is of stored objects (chat completions, files, batches, vector stores, caches, skills): its answer keeps the caller's own. */
const LISTS: ReadonlySet<Api> = new Set<Api>(['openai.chat_lookup', 'openai.files', 'openai.batches', 'openai.vector_stores', 'openai.containers', 'openai.skills', 'anthropic.batches', 'anthropic.files', 'anthropic.skills', 'gemini.caches_lookup', 'gemini.files', 'gemini.batches']);

/** A conversation created with items (`POST /v1/conversations` with `items`): its answer names the conversation, not them (conversation-items.ts). */
export function createsWithItems(route: RouteMatch, json: unknown): boolean {
  return route.api === 'openai.conversations' && route.method === 'POST' && route.resourceId === undefined && (asArray(asObject(json)?.items)?.length ?? 0) > 0;
}

/**
 * A chat request the provider is told to keep (`store: true`; OpenAI's default is not to): its answer's id, a
 * stored chat completion, is its caller's. Not a Responses-shaped one (Cursor's), which is translated, its id made up.
 */
export function storesChat(route: RouteMatch, json: unknown): boolean {
  return route.api === 'openai.chat' && asObject(json)?.store === true && !isResponsesShapedChat(json);
}

/** A request that lists stored objects: its answer keeps the caller's own (lists.ts). */
export function listsObjects(route: RouteMatch): boolean {
  return route.method === 'GET' && route.resourceId === undefined && LISTS.has(route.api);
}

/** The APIs whose successful answer to a create gives the id of the object made (the row's `response_id`). */
const MAKERS: ReadonlySet<Api> = new Set<Api>(['openai.responses', 'openai.files', 'openai.conversations', 'openai.vector_stores', 'openai.containers', 'openai.batches', 'openai.skills', 'anthropic.batches', 'anthropic.files', 'anthropic.skills', 'gemini.caches', 'gemini.files', 'gemini.batches', 'gemini.interactions']);

/** The APIs whose answers' items are a stored Response's (a create's output, a lookup's output or input items) or a conversation's (added, listed, retrieved). */
const ITEM_MAKERS: ReadonlySet<Api> = new Set<Api>(['openai.responses', 'openai.responses_lookup', 'openai.conversation_items']);

/**
 * The objects a finished request made: the one its answer created, the caller's (a chat completion only when stored); and those its answer
 * names that the provider made alongside (an OpenAI batch's output and error files, a Response's
 * items, the containers code ran in, the conversation a Response was added to, the Responses and chat
 * completions of a batch's output file), for the owner of the object the request is about
 * (`hold.pathOwner`, known when the request was checked against it: they wait for a checked request
 * otherwise), or for the caller when it creates one. A Response not stored makes no Response or
 * items, but the containers it ran code in are there all the same.
 */
export function madeObjects(f: RequestFacts, hold: ObjectHold, route: RouteMatch): OwnedObject[] {
  const owner = hold.owner;
  if (owner === undefined || f.status < 200 || f.status >= 300) return [];
  const out: OwnedObject[] = [];
  const add = (ids: readonly string[] | undefined, o: ObjectOwner | undefined, more: Pick<OwnedObject, 'replaces' | 'parent'> = {}) => {
    if (o !== undefined) for (const id of ids ?? []) out.push({ id, api: f.api, keyId: o.keyId, team: o.team, createdAt: f.ts, ...more });
  };
  const made = route.resourceId === undefined ? owner : hold.pathOwner;
  const id = f.responseId !== null && f.responseId !== '' ? [f.responseId] : [];
  // A Gemini file may be named by its uploader: one made under the name of a file expired since is the new uploader's.
  if (!hold.unstored && MAKERS.has(f.api)) add(id, owner, f.api === 'gemini.files' ? { replaces: true } : {});
  if (hold.storedChat === true && f.api === 'openai.chat') add(id, owner);
  // A file added to a container is the container's owner's, as the container is, and goes with it.
  if (f.api === 'openai.container_files' && route.method === 'POST' && route.resourceId !== undefined) add(id, made, { parent: route.resourceId });
  add(f.batchFiles, made);
  add(f.containers, made);
  // A batch's output file, downloaded: the Responses and chat completions its requests made are the file's owner's, the batch's.
  if (f.batch !== undefined) add(batchStored(f.batch.results), made);
  add(f.conversations, made);
  if (!hold.unstored && ITEM_MAKERS.has(f.api)) add(f.items, made);
  return out;
}

/**
 * The APIs of an object's parts, whose path names the object they belong to (a conversation's items, a vector store's
 * or a container's files, a skill's versions): the resource is the holder.
 */
const PARTS: ReadonlySet<Api> = new Set<Api>(['openai.conversation_items', 'openai.vector_store_files', 'openai.container_files', 'openai.container_file_content', 'openai.skill_versions', 'anthropic.skill_versions']);

/**
 * The object a successful DELETE through the gateway removed (a stored chat completion, a file, a stored Response, a Message Batch, a Gemini cache, a
 * conversation, a vector store, a container, a skill, a container's file): its owner is forgotten, and its parts' (a container's
 * files, ObjectOwnerStore.remove). Deleting a conversation's item, a vector store's file or a skill's version leaves the object its
 * path names. What a delete does not delete keeps its owner, as OpenAI's SDK documents: a conversation's items ("Items in the
 * conversation will not be deleted"), a vector store's file ("the file itself will not be deleted"), a vector store's files with it.
 */
export function deletedObjects(route: RouteMatch, status: number): string[] {
  if (route.method !== 'DELETE' || route.resourceId === undefined || status < 200 || status >= 300 || !(route.api in NOUNS)) return [];
  // "Delete Container File": the file itself is gone, its container stays.
  if (route.api === 'openai.container_files') return route.partId === undefined ? [] : [route.partId];
  return PARTS.has(route.api) ? [] : [route.resourceId];
}

/** The APIs whose GET or DELETE of one object the provider answers 404 when it no longer has it (expired, or deleted by it). */
const LOOKUPS: ReadonlySet<Api> = new Set<Api>(['openai.chat_lookup', 'openai.files', 'openai.batches', 'openai.responses_lookup', 'openai.conversations', 'openai.vector_stores', 'openai.containers', 'openai.skills', 'anthropic.batches', 'anthropic.files', 'anthropic.skills', 'gemini.caches_lookup', 'gemini.files', 'gemini.batches', 'gemini.interactions_lookup']);

/** The object a GET or DELETE of it was answered 404 for by the provider: no longer there (ObjectOwners.lapsed). */
export function lapsedObjects(route: RouteMatch, status: number): string[] {
  if (status !== 404 || route.resourceId === undefined || (route.method !== 'GET' && route.method !== 'DELETE') || !LOOKUPS.has(route.api)) return [];
  return [route.resourceId];
}

/**
 * Whether a provider's 404 says an object of a dialect is gone: only where one provider (its own or
 * translating from it) could keep it and nothing routes. Otherwise the object may have been made
 * on another account than the one asked, and its owner is kept.
 */
export function soleKeeperOf(providers: readonly Pick<UpstreamProvider, 'dialect' | 'translateFrom'>[], routed: boolean): (d: Dialect) => boolean {
  return (d) => !routed && providers.filter((p) => p.dialect === d || (p.translateFrom?.includes(d) ?? false)).length === 1;
}

/** What the gateway learns about a request's stored objects before it goes upstream, for its answer and its end. */
export interface ObjectHold {
  /** Whose objects the request makes, and with whose rights it asks (unset for a caller's own provider key). */
  owner?: ObjectOwner;
  /** A Response the provider is told not to keep (`store: false`): it makes no Response or items to record. */
  unstored?: boolean;
  /** A chat completion the provider is told to keep (storesChat), sent to a provider of the dialect: not translated, which keeps nothing. */
  storedChat?: boolean;
  /** The owner of the object the request's path names (its answer may name objects made for it: a batch's files, a Response's items). */
  pathOwner?: ObjectOwner;
  /** The request lists objects: its answer keeps the caller's own (lists.ts). */
  list?: boolean;
  /** The request creates a conversation with items its answer does not list: the gateway lists them after (conversation-items.ts). */
  itemsToLearn?: boolean;
}
