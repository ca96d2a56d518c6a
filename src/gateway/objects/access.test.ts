import { describe, expect, it } from 'vitest';
import { lookupRoute } from '../../providers/index.js';
import { newFacts } from '../../metering/build-row.js';
import type { Dialect } from '../../core/api.js';
import { zeroUsage } from '../../core/usage.js';
import type { RouteMatch } from '../../providers/types.js';
import { createsWithItems, deletedObjects, lapsedObjects, listsObjects, madeObjects, namedObjects, soleKeeperOf, storesChat, touchesObjects } from './access.js';

function route(method: string, path: string, dialect: Dialect = 'openai'): RouteMatch {
  const found = lookupRoute(method, path, [dialect]);
  if (found.kind !== 'match') throw new Error(`no route for ${method} ${path}`);
  return found.route;
}

describe('the stored objects a request names', () => {
  it('reads the id its path names, for every request about one object', () => {
    const cases: [string, string, Dialect, string][] = [
      ['GET', '/v1/chat/completions/chatcmpl-1', 'openai', 'chatcmpl-1'],
      ['POST', '/v1/chat/completions/chatcmpl-1', 'openai', 'chatcmpl-1'],
      ['DELETE', '/v1/chat/completions/chatcmpl-1', 'openai', 'chatcmpl-1'],
      ['GET', '/v1/chat/completions/chatcmpl-1/messages', 'openai', 'chatcmpl-1'],
      ['GET', '/v1/responses/resp_1', 'openai', 'resp_1'],
      ['DELETE', '/v1/responses/resp_1', 'openai', 'resp_1'],
      ['POST', '/v1/responses/resp_1/cancel', 'openai', 'resp_1'],
      ['GET', '/v1/responses/resp_1/input_items', 'openai', 'resp_1'],
      ['GET', '/v1/files/file-1', 'openai', 'file-1'],
      ['DELETE', '/v1/files/file-1', 'openai', 'file-1'],
      ['GET', '/v1/files/file-1/content', 'openai', 'file-1'],
      ['GET', '/v1/batches/batch_1', 'openai', 'batch_1'],
      ['POST', '/v1/batches/batch_1/cancel', 'openai', 'batch_1'],
      ['GET', '/v1/messages/batches/msgbatch_1', 'anthropic', 'msgbatch_1'],
      ['DELETE', '/v1/messages/batches/msgbatch_1', 'anthropic', 'msgbatch_1'],
      ['POST', '/v1/messages/batches/msgbatch_1/cancel', 'anthropic', 'msgbatch_1'],
      ['GET', '/v1/messages/batches/msgbatch_1/results', 'anthropic', 'msgbatch_1'],
      ['GET', '/v1/files/file_1', 'anthropic', 'file_1'],
      ['GET', '/v1/files/file_1/content', 'anthropic', 'file_1'],
      ['GET', '/v1beta/cachedContents/abc', 'gemini', 'cachedContents/abc'],
      ['GET', '/v1/conversations/conv_1', 'openai', 'conv_1'],
      ['POST', '/v1/conversations/conv_1', 'openai', 'conv_1'],
      ['DELETE', '/v1/conversations/conv_1', 'openai', 'conv_1'],
      ['GET', '/v1/conversations/conv_1/items', 'openai', 'conv_1'],
      ['POST', '/v1/conversations/conv_1/items', 'openai', 'conv_1'],
      ['GET', '/v1/conversations/conv_1/items/msg_1', 'openai', 'conv_1'],
      ['DELETE', '/v1/conversations/conv_1/items/msg_1', 'openai', 'conv_1'],
      ['GET', '/v1/containers/cntr_1', 'openai', 'cntr_1'],
      ['DELETE', '/v1/containers/cntr_1', 'openai', 'cntr_1'],
      ['GET', '/v1/containers/cntr_1/files', 'openai', 'cntr_1'],
      ['POST', '/v1/containers/cntr_1/files', 'openai', 'cntr_1'],
      ['GET', '/v1/containers/cntr_1/files/cfile_1', 'openai', 'cntr_1'],
      ['DELETE', '/v1/containers/cntr_1/files/cfile_1', 'openai', 'cntr_1'],
      ['GET', '/v1/containers/cntr_1/files/cfile_1/content', 'openai', 'cntr_1'],
      ['PATCH', '/v1beta/cachedContents/abc', 'gemini', 'cachedContents/abc'],
      ['DELETE', '/v1beta/cachedContents/abc', 'gemini', 'cachedContents/abc'],
      ['GET', '/v1/skills/skill_1', 'openai', 'skill_1'],
      ['POST', '/v1/skills/skill_1', 'openai', 'skill_1'],
      ['DELETE', '/v1/skills/skill_1', 'openai', 'skill_1'],
      ['GET', '/v1/skills/skill_1/content', 'openai', 'skill_1'],
      ['POST', '/v1/skills/skill_1/versions', 'openai', 'skill_1'],
      ['GET', '/v1/skills/skill_1/versions', 'openai', 'skill_1'],
      ['GET', '/v1/skills/skill_1/versions/2', 'openai', 'skill_1'],
      ['DELETE', '/v1/skills/skill_1/versions/2', 'openai', 'skill_1'],
      ['GET', '/v1/skills/skill_1/versions/2/content', 'openai', 'skill_1'],
      ['GET', '/v1/skills/skill_01A', 'anthropic', 'skill_01A'],
      ['DELETE', '/v1/skills/skill_01A', 'anthropic', 'skill_01A'],
      ['POST', '/v1/skills/skill_01A/versions', 'anthropic', 'skill_01A'],
      ['GET', '/v1/skills/skill_01A/versions', 'anthropic', 'skill_01A'],
      ['GET', '/v1/skills/skill_01A/versions/1759178010641129', 'anthropic', 'skill_01A'],
      ['DELETE', '/v1/skills/skill_01A/versions/1759178010641129', 'anthropic', 'skill_01A'],
      ['GET', '/v1/skills/skill_01A/versions/1759178010641129/content', 'anthropic', 'skill_01A'],
      // Anthropic's own skill, deleted: checked (Anthropic refuses it too); read, it is every key's (below).
      ['DELETE', '/v1/skills/pptx', 'anthropic', 'pptx'],
    ];
    for (const [method, path, dialect, id] of cases) {
      const r = route(method, path, dialect);
      expect(touchesObjects(r.api)).toBe(true);
      expect(namedObjects(r, undefined)).toEqual([{ ids: [id], noun: expect.any(String) }]);
      expect(listsObjects(r)).toBe(false);
    }
  });

  it('reads the top-level references of a body: a follow-up, a batch input file, a Gemini cache', () => {
    expect(namedObjects(route('POST', '/v1/responses'), { model: 'gpt-5', previous_response_id: 'resp_0' })).toEqual([{ ids: ['resp_0'], noun: 'response' }]);
    expect(namedObjects(route('POST', '/v1/responses'), { model: 'gpt-5' })).toEqual([]);
    // Compacting a conversation and counting its tokens read the stored Response it continues too.
    expect(namedObjects(route('POST', '/v1/responses/compact'), { model: 'gpt-5', previous_response_id: 'resp_0' })).toEqual([{ ids: ['resp_0'], noun: 'response' }]);
    expect(namedObjects(route('POST', '/v1/responses/input_tokens'), { model: 'gpt-5', previous_response_id: 'resp_0' })).toEqual([{ ids: ['resp_0'], noun: 'response' }]);
    expect(namedObjects(route('POST', '/v1/batches'), { input_file_id: 'file-in', endpoint: '/v1/chat/completions' })).toEqual([{ ids: ['file-in'], noun: 'file' }]);
    // The conversation a Responses request continues, an id or `{id}`; its input tokens are counted with it.
    expect(namedObjects(route('POST', '/v1/responses'), { model: 'gpt-5', conversation: 'conv_1' })).toEqual([{ ids: ['conv_1'], noun: 'conversation' }]);
    expect(namedObjects(route('POST', '/v1/responses'), { model: 'gpt-5', conversation: { id: 'conv_1' } })).toEqual([{ ids: ['conv_1'], noun: 'conversation' }]);
    expect(namedObjects(route('POST', '/v1/responses/input_tokens'), { model: 'gpt-5', conversation: 'conv_1' })).toEqual([{ ids: ['conv_1'], noun: 'conversation' }]);
    expect(namedObjects(route('POST', '/v1/responses'), { model: 'gpt-5', conversation: null })).toEqual([]);
    expect(namedObjects(route('POST', '/v1/conversations'), { items: [] })).toEqual([]);
    // The items a conversation is created with or given: references to stored items and files, as in a Responses input.
    const items = [{ type: 'item_reference', id: 'msg_0' }, { role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }];
    expect(namedObjects(route('POST', '/v1/conversations'), { items })).toEqual([
      { ids: ['msg_0'], noun: 'item' },
      { ids: ['file-1'], noun: 'file' },
    ]);
    expect(namedObjects(route('POST', '/v1/conversations/conv_1/items'), { items })).toEqual([
      { ids: ['conv_1'], noun: 'conversation' },
      { ids: ['msg_0'], noun: 'item' },
      { ids: ['file-1'], noun: 'file' },
    ]);
    expect(namedObjects(route('POST', '/v1/conversations/conv_1'), { metadata: {}, items })).toEqual([{ ids: ['conv_1'], noun: 'conversation' }]);
    // The files a container is made with or given, which the provider copies into it.
    expect(namedObjects(route('POST', '/v1/containers'), { name: 'c', file_ids: ['file-1', 'file-2', 'file-1', 7] })).toEqual([{ ids: ['file-1', 'file-2'], noun: 'file' }]);
    expect(namedObjects(route('POST', '/v1/containers'), { name: 'c' })).toEqual([]);
    expect(namedObjects(route('POST', '/v1/containers/cntr_1/files'), { file_id: 'file-1' })).toEqual([
      { ids: ['cntr_1'], noun: 'container' },
      { ids: ['file-1'], noun: 'file' },
    ]);
    const gen = route('POST', '/v1beta/models/gemini-2.5-flash:generateContent', 'gemini');
    expect(namedObjects(gen, { cachedContent: 'cachedContents/abc', contents: [] })[0]?.ids).toEqual(['cachedContents/abc']);
    // Protobuf JSON takes the field name as written in the proto too.
    expect(namedObjects(gen, { cached_content: 'cachedContents/abc', contents: [] })[0]?.ids).toEqual(['cachedContents/abc']);
    expect(namedObjects(gen, { contents: [] })).toEqual([]);
    // A chat request for Gemini's OpenAI-compatible endpoint, as the openai SDK sends extra_body (merged) or as Gemini's REST examples write it.
    const chat = route('POST', '/v1/chat/completions');
    expect(namedObjects(chat, { model: 'gemini-2.5-flash', messages: [], google: { cached_content: 'cachedContents/abc' } })).toEqual([{ ids: ['cachedContents/abc'], noun: 'cached content' }]);
    expect(namedObjects(chat, { model: 'gemini-2.5-flash', messages: [], extra_body: { google: { cached_content: 'cachedContents/abc' } } })).toEqual([{ ids: ['cachedContents/abc'], noun: 'cached content' }]);
    expect(namedObjects(chat, { model: 'gpt-4o', messages: [] })).toEqual([]);
  });

  it('reads the files named inside messages, beside a top-level reference, when the bytes may name one', () => {
    const body = { model: 'gpt-5', previous_response_id: 'resp_0', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-a' }] }] };
    const raw = Buffer.from(JSON.stringify(body));
    expect(namedObjects(route('POST', '/v1/responses'), body, raw)).toEqual([{ ids: ['resp_0'], noun: 'response' }, { ids: ['file-a'], noun: 'file' }]);
    const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-b' } }] }] };
    expect(namedObjects(route('POST', '/v1/chat/completions'), chat)).toEqual([{ ids: ['file-b'], noun: 'file' }]);
    const claude = { model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'file', file_id: 'file_c' } }] }] };
    expect(namedObjects(route('POST', '/v1/messages', 'anthropic'), claude, Buffer.from(JSON.stringify(claude)))).toEqual([{ ids: ['file_c'], noun: 'file' }]);
    // Bytes without file_id (as parsed here, they would name one): the messages are not walked.
    expect(namedObjects(route('POST', '/v1/chat/completions'), chat, Buffer.from('{"model":"gpt-4o","messages":[]}'))).toEqual([]);
  });

  it('reads the containers a request runs code in again and the stored items it references, with no file named', () => {
    const body = { model: 'gpt-5', input: [{ type: 'item_reference', id: 'msg_1' }], tools: [{ type: 'code_interpreter', container: 'cntr_1' }] };
    expect(namedObjects(route('POST', '/v1/responses'), body, Buffer.from(JSON.stringify(body)))).toEqual([
      { ids: ['cntr_1'], noun: 'container' },
      { ids: ['msg_1'], noun: 'item' },
    ]);
    const claude = { model: 'claude-sonnet-4-5', max_tokens: 8, container: 'container_1', messages: [] };
    expect(namedObjects(route('POST', '/v1/messages', 'anthropic'), claude, Buffer.from(JSON.stringify(claude)))).toEqual([{ ids: ['container_1'], noun: 'container' }]);
  });

  it('reads the tools an input item adds as it reads the request tools: their containers, files, vector stores and skills', () => {
    const tools = [
      { type: 'code_interpreter', container: 'cntr_1' },
      { type: 'shell', environment: { type: 'container_reference', container_id: 'cntr_2' } },
      { type: 'code_interpreter', container: { type: 'auto', file_ids: ['file-1'] } },
      { type: 'file_search', vector_store_ids: ['vs_1'] },
      { type: 'shell', environment: { type: 'container_auto', skills: [{ type: 'skill_reference', skill_id: 'skill_1' }] } },
    ];
    for (const type of ['additional_tools', 'tool_search_output']) {
      const body = { model: 'gpt-5', input: [{ role: 'user', content: 'go' }, { type, tools }] };
      expect(namedObjects(route('POST', '/v1/responses'), body, Buffer.from(JSON.stringify(body)))).toEqual([
        { ids: ['cntr_1', 'cntr_2'], noun: 'container' },
        { ids: ['vs_1'], noun: 'vector store' },
        { ids: ['skill_1'], noun: 'skill' },
        { ids: ['file-1'], noun: 'file' },
      ]);
    }
  });

  it('reads the skills a container is created with, beside its files', () => {
    const body = { name: 'c', file_ids: ['file-1'], skills: [{ type: 'skill_reference', skill_id: 'skill_1' }] };
    expect(namedObjects(route('POST', '/v1/containers'), body)).toEqual([
      { ids: ['file-1'], noun: 'file' },
      { ids: ['skill_1'], noun: 'skill' },
    ]);
  });

  it('reads the custom skills a container loads, beside the container, and leaves Anthropic own skills to every key', () => {
    const skills = [{ type: 'anthropic', skill_id: 'pptx', version: 'latest' }, { type: 'custom', skill_id: 'skill_01A', version: 'latest' }];
    const claude = { model: 'claude-sonnet-5-5', max_tokens: 8, container: { id: 'container_1', skills }, messages: [] };
    expect(namedObjects(route('POST', '/v1/messages', 'anthropic'), claude)).toEqual([
      { ids: ['container_1'], noun: 'container' },
      { ids: ['skill_01A'], noun: 'skill' },
    ]);
    expect(namedObjects(route('POST', '/v1/messages/count_tokens', 'anthropic'), { ...claude, container: { skills: skills.slice(0, 1) } })).toEqual([]);
    expect(namedObjects(route('POST', '/v1/messages/batches', 'anthropic'), { requests: [{ custom_id: 'a', params: { ...claude, container: { skills } } }] })).toEqual([{ ids: ['skill_01A'], noun: 'skill' }]);
    const shell = { model: 'gpt-5', input: 'go', tools: [{ type: 'shell', environment: { type: 'container_auto', skills: [{ type: 'skill_reference', skill_id: 'skill_1' }] } }] };
    expect(namedObjects(route('POST', '/v1/responses'), shell)).toEqual([{ ids: ['skill_1'], noun: 'skill' }]);
    expect(namedObjects(route('GET', '/v1/skills/pptx', 'anthropic'), undefined)).toEqual([]);
    expect(namedObjects(route('GET', '/v1/skills/pptx/versions/1/content', 'anthropic'), undefined)).toEqual([]);
  });

  it('leaves ordinary requests alone, and tells the lists apart', () => {
    for (const [method, path, dialect] of [['POST', '/v1/embeddings', 'openai'], ['GET', '/v1/models', 'anthropic']] as const) {
      expect(touchesObjects(route(method, path, dialect).api)).toBe(false);
    }
    // An image generation shares its API with the edits, which may name files (image-edits.ts): it names none.
    expect(namedObjects(route('POST', '/v1/images/generations', 'openai'), { model: 'gpt-image-1', prompt: 'a door' })).toEqual([]);
    for (const [path, dialect] of [['/v1/chat/completions', 'openai'], ['/v1/files', 'openai'], ['/v1/batches', 'openai'], ['/v1/containers', 'openai'], ['/v1/skills', 'openai'], ['/v1/messages/batches', 'anthropic'], ['/v1/files', 'anthropic'], ['/v1/skills', 'anthropic'], ['/v1beta/cachedContents', 'gemini']] as const) {
      const r = route('GET', path, dialect);
      expect(listsObjects(r)).toBe(true);
      expect(namedObjects(r, undefined)).toEqual([]);
    }
  });
});

describe('the stored objects a finished request deleted', () => {
  it('names the object of a successful DELETE, never one refused or of another method', () => {
    expect(deletedObjects(route('DELETE', '/v1/files/file-1'), 200)).toEqual(['file-1']);
    expect(deletedObjects(route('DELETE', '/v1/chat/completions/chatcmpl-1'), 200)).toEqual(['chatcmpl-1']);
    expect(deletedObjects(route('POST', '/v1/chat/completions/chatcmpl-1'), 200)).toEqual([]);
    expect(deletedObjects(route('DELETE', '/v1/responses/resp_1'), 200)).toEqual(['resp_1']);
    expect(deletedObjects(route('DELETE', '/v1/messages/batches/msgbatch_1', 'anthropic'), 200)).toEqual(['msgbatch_1']);
    expect(deletedObjects(route('DELETE', '/v1/files/file_1', 'anthropic'), 200)).toEqual(['file_1']);
    expect(deletedObjects(route('DELETE', '/v1beta/cachedContents/abc', 'gemini'), 200)).toEqual(['cachedContents/abc']);
    expect(deletedObjects(route('DELETE', '/v1/conversations/conv_1'), 200)).toEqual(['conv_1']);
    // Deleting one of a conversation's items leaves the conversation its path names; a skill's version, the skill.
    expect(deletedObjects(route('DELETE', '/v1/conversations/conv_1/items/msg_1'), 200)).toEqual([]);
    expect(deletedObjects(route('DELETE', '/v1/skills/skill_1'), 200)).toEqual(['skill_1']);
    expect(deletedObjects(route('DELETE', '/v1/skills/skill_01A', 'anthropic'), 200)).toEqual(['skill_01A']);
    expect(deletedObjects(route('DELETE', '/v1/skills/skill_1/versions/2'), 200)).toEqual([]);
    expect(deletedObjects(route('DELETE', '/v1/skills/skill_01A/versions/1759178010641129', 'anthropic'), 200)).toEqual([]);
    expect(deletedObjects(route('DELETE', '/v1/containers/cntr_1'), 200)).toEqual(['cntr_1']);
    // A container's file is deleted itself ("Delete Container File"): its owner goes, the container stays.
    expect(deletedObjects(route('DELETE', '/v1/containers/cntr_1/files/cfile_1'), 200)).toEqual(['cfile_1']);
    expect(deletedObjects(route('DELETE', '/v1/containers/cntr_1/files/cfile_1'), 404)).toEqual([]);
    // A vector store's file is taken out of the store, the file itself kept (the SDK says so): both keep their owners.
    expect(deletedObjects(route('DELETE', '/v1/vector_stores/vs_1/files/file-1'), 200)).toEqual([]);
    expect(deletedObjects(route('DELETE', '/v1/files/file-1'), 404)).toEqual([]);
    expect(deletedObjects(route('GET', '/v1/files/file-1'), 200)).toEqual([]);
    expect(deletedObjects(route('POST', '/v1/batches/batch_1/cancel'), 200)).toEqual([]);
  });
});

describe('the stored objects a finished request made', () => {
  const alice = { keyId: 'k-alice', team: 'platform' };
  const facts = (api: Parameters<typeof newFacts>[2], o: { status: number; responseId: string | null; batchFiles?: string[]; items?: string[]; containers?: string[]; conversations?: string[] }) => Object.assign(newFacts('r1', 1000, api), o);

  it('records a conversation its creation answer names, and the items a conversation answer holds for the conversation owner', () => {
    const bob = { keyId: 'k-bob', team: 'platform' };
    const ids = (objects: { id: string; keyId: string | null }[]) => objects.map((o) => `${o.id}:${o.keyId}`);
    expect(ids(madeObjects(facts('openai.conversations', { status: 200, responseId: 'conv_1' }), { owner: alice }, route('POST', '/v1/conversations')))).toEqual(['conv_1:k-alice']);
    const added = facts('openai.conversation_items', { status: 200, responseId: null, items: ['msg_1', 'msg_2'] });
    expect(ids(madeObjects(added, { owner: bob, pathOwner: alice }, route('POST', '/v1/conversations/conv_1/items')))).toEqual(['msg_1:k-alice', 'msg_2:k-alice']);
    expect(madeObjects(added, { owner: bob }, route('POST', '/v1/conversations/conv_1/items'))).toEqual([]);
  });

  it('records a skill its creation answer names, not a version of one', () => {
    expect(madeObjects(facts('openai.skills', { status: 200, responseId: 'skill_1' }), { owner: alice }, route('POST', '/v1/skills'))).toEqual([{ id: 'skill_1', api: 'openai.skills', keyId: 'k-alice', team: 'platform', createdAt: 1000 }]);
    expect(madeObjects(facts('anthropic.skills', { status: 200, responseId: 'skill_01A' }), { owner: alice }, route('POST', '/v1/skills', 'anthropic'))).toHaveLength(1);
    expect(madeObjects(facts('openai.skill_versions', { status: 200, responseId: null }), { owner: alice, pathOwner: alice }, route('POST', '/v1/skills/skill_1/versions'))).toEqual([]);
  });

  it('records a container its creation answer names for the caller, and a file added to a container for the container owner', () => {
    const bob = { keyId: 'k-bob', team: 'platform' };
    const ids = (objects: { id: string; keyId: string | null }[]) => objects.map((o) => `${o.id}:${o.keyId}`);
    expect(ids(madeObjects(facts('openai.containers', { status: 200, responseId: 'cntr_1' }), { owner: alice }, route('POST', '/v1/containers')))).toEqual(['cntr_1:k-alice']);
    const added = facts('openai.container_files', { status: 200, responseId: 'cfile_1' });
    expect(ids(madeObjects(added, { owner: bob, pathOwner: alice }, route('POST', '/v1/containers/cntr_1/files')))).toEqual(['cfile_1:k-alice']);
    expect(madeObjects(added, { owner: bob }, route('POST', '/v1/containers/cntr_1/files'))).toEqual([]);
    expect(madeObjects(facts('openai.container_files', { status: 200, responseId: 'cfile_1' }), { owner: bob, pathOwner: alice }, route('GET', '/v1/containers/cntr_1/files/cfile_1'))).toEqual([]);
  });

  it('records what a batch output file downloaded names as kept by the provider for the file owner, the batch owner', () => {
    const bob = { keyId: 'k-bob', team: 'platform' };
    const ids = (objects: { id: string; keyId: string | null }[]) => objects.map((o) => `${o.id}:${o.keyId}`);
    const download = facts('openai.file_content', { status: 200, responseId: null, containers: ['cntr_1'] });
    const result = (customId: string, stored?: string[]) => ({ customId, model: 'gpt-5', usage: zeroUsage(), serviceTier: 'batch', stored });
    download.batch = { batchId: 'file-out', api: 'openai.batch_request', results: [result('a', ['resp_1', 'msg_1']), result('b'), result('c', ['chatcmpl-3'])], complete: false };
    const get = route('GET', '/v1/files/file-out/content');
    expect(ids(madeObjects(download, { owner: bob, pathOwner: alice }, get))).toEqual(['cntr_1:k-alice', 'resp_1:k-alice', 'chatcmpl-3:k-alice', 'msg_1:k-alice']);
    expect(madeObjects(download, { owner: bob }, get)).toEqual([]);
    expect(madeObjects({ ...download, status: 500 }, { owner: bob, pathOwner: alice }, get)).toEqual([]);
  });

  it('records a chat completion told to be stored, streamed or not, and none other', () => {
    const create = route('POST', '/v1/chat/completions');
    const made = facts('openai.chat', { status: 200, responseId: 'chatcmpl-1' });
    expect(madeObjects(made, { owner: alice, storedChat: true }, create)).toEqual([{ id: 'chatcmpl-1', api: 'openai.chat', keyId: 'k-alice', team: 'platform', createdAt: 1000 }]);
    expect(madeObjects(made, { owner: alice }, create)).toEqual([]);
    expect(madeObjects(made, { owner: alice, storedChat: false }, create)).toEqual([]);
    expect(madeObjects(facts('openai.chat', { status: 400, responseId: 'chatcmpl-1' }), { owner: alice, storedChat: true }, create)).toEqual([]);
    // Its update answers the completion again: it makes none.
    expect(madeObjects(facts('openai.chat_lookup', { status: 200, responseId: 'chatcmpl-1' }), { owner: alice, pathOwner: alice, storedChat: true }, route('POST', '/v1/chat/completions/chatcmpl-1'))).toEqual([]);
  });

  it('tells a chat request the provider keeps: store true, and not a Responses-shaped one, which is translated', () => {
    const create = route('POST', '/v1/chat/completions');
    const messages = [{ role: 'user', content: 'hi' }];
    expect(storesChat(create, { model: 'gpt-5', messages, store: true })).toBe(true);
    expect(storesChat(create, { model: 'gpt-5', messages, store: true, stream: true })).toBe(true);
    for (const store of [undefined, false, 'true', 1]) expect(storesChat(create, { model: 'gpt-5', messages, store })).toBe(false);
    expect(storesChat(create, { model: 'gpt-5', input: 'hi', store: true })).toBe(false);
    expect(storesChat(create, undefined)).toBe(false);
    expect(storesChat(route('POST', '/v1/responses'), { model: 'gpt-5', input: 'hi', store: true })).toBe(false);
    expect(storesChat(route('POST', '/v1/chat/completions/chatcmpl-1'), { metadata: {}, store: true })).toBe(false);
  });

  it('knows a conversation created with items, whose answer does not list them', () => {
    const create = route('POST', '/v1/conversations');
    expect(createsWithItems(create, { items: [{ role: 'user', content: 'hi' }] })).toBe(true);
    expect(createsWithItems(create, { items: [] })).toBe(false);
    expect(createsWithItems(create, { metadata: {} })).toBe(false);
    expect(createsWithItems(create, undefined)).toBe(false);
    // Items added to a conversation are in that answer's list.
    expect(createsWithItems(route('POST', '/v1/conversations/conv_1/items'), { items: [{ role: 'user', content: 'hi' }] })).toBe(false);
  });

  it('gives the containers a batch output file names to the file owner, the batch owner', () => {
    const bob = { keyId: 'k-bob', team: 'platform' };
    const f = facts('openai.file_content', { status: 200, responseId: null, containers: ['cntr_1'] });
    expect(madeObjects(f, { owner: bob, pathOwner: alice }, route('GET', '/v1/files/file-out/content')).map((o) => `${o.id}:${o.keyId}`)).toEqual(['cntr_1:k-alice']);
  });

  it('records the object its answer created, never one of an error answer or of an API that makes none', () => {
    const post = route('POST', '/v1/files');
    expect(madeObjects(facts('openai.files', { status: 200, responseId: 'file-1' }), { owner: alice }, post)).toEqual([{ id: 'file-1', api: 'openai.files', keyId: 'k-alice', team: 'platform', createdAt: 1000 }]);
    expect(madeObjects(facts('openai.files', { status: 400, responseId: 'file-1' }), { owner: alice }, post)).toEqual([]);
    expect(madeObjects(facts('openai.chat', { status: 200, responseId: 'chatcmpl-1' }), { owner: alice }, route('POST', '/v1/chat/completions'))).toEqual([]);
    expect(madeObjects(facts('openai.files', { status: 200, responseId: 'file-1' }), {}, post)).toEqual([]);
  });

  it('gives the files a batch answer names to the batch owner, once it is known', () => {
    const bob = { keyId: 'k-bob', team: 'platform' };
    const f = facts('openai.batches', { status: 200, responseId: null, batchFiles: ['file-out', 'file-err'] });
    const retrieve = route('GET', '/v1/batches/batch_1');
    expect(madeObjects(f, { owner: bob, pathOwner: alice }, retrieve).map((o) => [o.id, o.keyId])).toEqual([['file-out', 'k-alice'], ['file-err', 'k-alice']]);
    expect(madeObjects(f, { owner: bob }, retrieve)).toEqual([]);
  });

  it('records the items and containers a Response answer names: the caller ones on a create, the Response owner ones on a lookup', () => {
    const bob = { keyId: 'k-bob', team: 'platform' };
    const made = { status: 200, responseId: 'resp_1', items: ['msg_1', 'ci_1'], containers: ['cntr_1'] };
    const ids = (objects: { id: string; keyId: string | null }[]) => objects.map((o) => `${o.id}:${o.keyId}`);
    expect(ids(madeObjects(facts('openai.responses', made), { owner: alice }, route('POST', '/v1/responses')))).toEqual(['resp_1:k-alice', 'cntr_1:k-alice', 'msg_1:k-alice', 'ci_1:k-alice']);
    // Not stored: no Response and no items, but the container it ran code in is there all the same.
    expect(ids(madeObjects(facts('openai.responses', made), { owner: alice, unstored: true }, route('POST', '/v1/responses')))).toEqual(['cntr_1:k-alice']);
    const lookup = { status: 200, responseId: 'resp_1', items: ['msg_1'], containers: ['cntr_1'] };
    expect(ids(madeObjects(facts('openai.responses_lookup', lookup), { owner: bob, pathOwner: alice }, route('GET', '/v1/responses/resp_1')))).toEqual(['cntr_1:k-alice', 'msg_1:k-alice']);
    // A compaction's output is handed back, not kept: its items are no stored Response's.
    expect(madeObjects(facts('openai.compact', { status: 200, responseId: null, items: ['msg_1'] }), { owner: alice }, route('POST', '/v1/responses/compact'))).toEqual([]);
    // A conversation the Response answer says it belongs to: the caller one on a create (made with it, or one it continues, whose owner is already known).
    expect(ids(madeObjects(facts('openai.responses', { status: 200, responseId: 'resp_2', conversations: ['conv_1'] }), { owner: alice }, route('POST', '/v1/responses')))).toEqual(['resp_2:k-alice', 'conv_1:k-alice']);
    expect(ids(madeObjects(facts('anthropic.messages', { status: 200, responseId: 'msg_01', containers: ['container_1'] }), { owner: alice }, route('POST', '/v1/messages', 'anthropic')))).toEqual(['container_1:k-alice']);
  });
});

describe('the stored objects a provider no longer has', () => {
  it('names the object a GET or DELETE of it was answered 404 for, never one of another answer, method or API', () => {
    expect(lapsedObjects(route('GET', '/v1/files/file-1'), 404)).toEqual(['file-1']);
    expect(lapsedObjects(route('DELETE', '/v1/files/file-1'), 404)).toEqual(['file-1']);
    expect(lapsedObjects(route('GET', '/v1/chat/completions/chatcmpl-1'), 404)).toEqual(['chatcmpl-1']);
    expect(lapsedObjects(route('DELETE', '/v1/chat/completions/chatcmpl-1'), 404)).toEqual(['chatcmpl-1']);
    // The messages of a completion the provider does not have: it has not the completion.
    expect(lapsedObjects(route('GET', '/v1/chat/completions/chatcmpl-1/messages'), 404)).toEqual(['chatcmpl-1']);
    expect(lapsedObjects(route('POST', '/v1/chat/completions/chatcmpl-1'), 404)).toEqual([]);
    expect(lapsedObjects(route('GET', '/v1/responses/resp_1'), 404)).toEqual(['resp_1']);
    expect(lapsedObjects(route('GET', '/v1/batches/batch_1'), 404)).toEqual(['batch_1']);
    expect(lapsedObjects(route('GET', '/v1/messages/batches/msgbatch_1', 'anthropic'), 404)).toEqual(['msgbatch_1']);
    expect(lapsedObjects(route('GET', '/v1beta/cachedContents/abc', 'gemini'), 404)).toEqual(['cachedContents/abc']);
    expect(lapsedObjects(route('GET', '/v1/conversations/conv_1'), 404)).toEqual(['conv_1']);
    // An item the conversation no longer has is no proof the conversation is gone; nor a version or content the skill no longer has.
    expect(lapsedObjects(route('GET', '/v1/conversations/conv_1/items/msg_1'), 404)).toEqual([]);
    expect(lapsedObjects(route('GET', '/v1/skills/skill_1'), 404)).toEqual(['skill_1']);
    expect(lapsedObjects(route('DELETE', '/v1/skills/skill_01A', 'anthropic'), 404)).toEqual(['skill_01A']);
    expect(lapsedObjects(route('GET', '/v1/skills/skill_1/versions/2'), 404)).toEqual([]);
    expect(lapsedObjects(route('GET', '/v1/skills/skill_1/content'), 404)).toEqual([]);
    expect(lapsedObjects(route('GET', '/v1/containers/cntr_1'), 404)).toEqual(['cntr_1']);
    expect(lapsedObjects(route('DELETE', '/v1/containers/cntr_1'), 404)).toEqual(['cntr_1']);
    // Nor is a file the container no longer has, or its content.
    expect(lapsedObjects(route('GET', '/v1/containers/cntr_1/files/cfile_1'), 404)).toEqual([]);
    expect(lapsedObjects(route('GET', '/v1/containers/cntr_1/files/cfile_1/content'), 404)).toEqual([]);
    expect(lapsedObjects(route('GET', '/v1/files/file-1'), 200)).toEqual([]);
    expect(lapsedObjects(route('GET', '/v1/files/file-1'), 500)).toEqual([]);
    // A file whose content the provider will not give, or results not ready, is no proof the object is gone.
    expect(lapsedObjects(route('GET', '/v1/files/file-1/content'), 404)).toEqual([]);
    expect(lapsedObjects(route('GET', '/v1/messages/batches/msgbatch_1/results', 'anthropic'), 404)).toEqual([]);
    expect(lapsedObjects(route('POST', '/v1/batches/batch_1/cancel'), 404)).toEqual([]);
  });

  it('takes a 404 as the object gone only where one provider could keep it and nothing routes', () => {
    const openai = { dialect: 'openai' as const };
    const local = { dialect: 'openai' as const, translateFrom: ['anthropic' as const] };
    expect(soleKeeperOf([openai, { dialect: 'anthropic' }], false)('openai')).toBe(true);
    expect(soleKeeperOf([openai, { dialect: 'openai' }], false)('openai')).toBe(false);
    expect(soleKeeperOf([openai, { dialect: 'anthropic' }], true)('openai')).toBe(false);
    // A provider translating from a dialect may keep that dialect's objects too.
    expect(soleKeeperOf([{ dialect: 'anthropic' }, local], false)('anthropic')).toBe(false);
  });
});
