import { describe, expect, expectTypeOf, it } from 'vitest';
import { type Api, APIS, DIALECTS } from '../core/api.js';
import { ADAPTERS, adapterFor, lookupRoute, preferredDialects } from './registry.js';
import { GEMINI_ROUTES } from './gemini/routes.js';
import { OPENAI_ROUTES } from './openai/routes.js';
import { ANTHROPIC_ROUTES } from './anthropic/routes.js';
import type { DialectAdapter, RouteMatch } from './types.js';

describe('registry', () => {
  it('has one adapter per dialect, keyed by its own dialect', () => {
    for (const d of DIALECTS) expect(adapterFor(d).dialect).toBe(d);
    expectTypeOf(ADAPTERS.openai).toEqualTypeOf<DialectAdapter>();
  });

  it('routes every API surface somewhere, except those only recorded (a batch’s billed results) and the Realtime socket', () => {
    const routed = new Set([...OPENAI_ROUTES, ...ANTHROPIC_ROUTES, ...GEMINI_ROUTES].map((r) => r.api));
    // Recorded, never requested: a row of each succeeded request of a batch, made from its results.
    // And Realtime, served only as a WebSocket (gateway/websocket/sockets.ts).
    const unrouted: Api[] = ['openai.batch_request', 'anthropic.batch_message', 'gemini.batch_request', 'openai.realtime'];
    expect([...routed].sort()).toEqual(APIS.filter((a) => !unrouted.includes(a)).sort());
  });

  it.each([
    ['POST', '/v1/chat/completions', { api: 'openai.chat', dialect: 'openai', method: 'POST' }],
    ['GET', '/v1/chat/completions', { api: 'openai.chat_lookup', dialect: 'openai', method: 'GET', noBody: true }],
    ['GET', '/v1/chat/completions/chatcmpl-1', { api: 'openai.chat_lookup', dialect: 'openai', method: 'GET', noBody: true, resourceId: 'chatcmpl-1' }],
    ['POST', '/v1/chat/completions/chatcmpl-1', { api: 'openai.chat_lookup', dialect: 'openai', method: 'POST', resourceId: 'chatcmpl-1' }],
    ['DELETE', '/v1/chat/completions/chatcmpl-1', { api: 'openai.chat_lookup', dialect: 'openai', method: 'DELETE', noBody: true, resourceId: 'chatcmpl-1' }],
    ['GET', '/v1/chat/completions/chatcmpl-1/messages', { api: 'openai.chat_lookup', dialect: 'openai', method: 'GET', noBody: true, resourceId: 'chatcmpl-1' }],
    ['POST', '/v1/responses', { api: 'openai.responses', dialect: 'openai', method: 'POST' }],
    ['POST', '/v1/responses/compact', { api: 'openai.compact', dialect: 'openai', method: 'POST' }],
    ['POST', '/v1/responses/input_tokens', { api: 'openai.input_tokens', dialect: 'openai', method: 'POST' }],
    ['POST', '/v1/embeddings', { api: 'openai.embeddings', dialect: 'openai', method: 'POST' }],
    ['GET', '/v1/models', { api: 'openai.models', dialect: 'openai', method: 'GET', noBody: true }],
    ['POST', '/v1/messages', { api: 'anthropic.messages', dialect: 'anthropic', method: 'POST' }],
    ['POST', '/v1/messages/count_tokens', { api: 'anthropic.count_tokens', dialect: 'anthropic', method: 'POST' }],
    [
      'POST',
      '/v1beta/models/gemini-3.6-flash:generateContent',
      { api: 'gemini.generate', dialect: 'gemini', method: 'POST', model: 'gemini-3.6-flash', streamByPath: false },
    ],
    [
      'POST',
      '/v1beta/models/gemini-3.6-flash:streamGenerateContent',
      { api: 'gemini.generate', dialect: 'gemini', method: 'POST', model: 'gemini-3.6-flash', streamByPath: true },
    ],
    ['GET', '/v1/models/gpt-5-mini', { api: 'openai.models', dialect: 'openai', method: 'GET', model: 'gpt-5-mini', noBody: true }],
    ['GET', '/v1/responses/resp_1', { api: 'openai.responses_lookup', dialect: 'openai', method: 'GET', noBody: true, streamQuery: 'stream', resourceId: 'resp_1' }],
    ['DELETE', '/v1/responses/resp_1', { api: 'openai.responses_lookup', dialect: 'openai', method: 'DELETE', noBody: true, resourceId: 'resp_1' }],
    ['POST', '/v1/responses/resp_1/cancel', { api: 'openai.responses_lookup', dialect: 'openai', method: 'POST', noBody: true, resourceId: 'resp_1' }],
    ['GET', '/v1/responses/resp_1/input_items', { api: 'openai.responses_lookup', dialect: 'openai', method: 'GET', noBody: true, resourceId: 'resp_1' }],
    ['POST', '/v1/conversations', { api: 'openai.conversations', dialect: 'openai', method: 'POST' }],
    ['GET', '/v1/conversations/conv_1', { api: 'openai.conversations', dialect: 'openai', method: 'GET', noBody: true, resourceId: 'conv_1' }],
    ['POST', '/v1/conversations/conv_1', { api: 'openai.conversations', dialect: 'openai', method: 'POST', resourceId: 'conv_1' }],
    ['DELETE', '/v1/conversations/conv_1', { api: 'openai.conversations', dialect: 'openai', method: 'DELETE', noBody: true, resourceId: 'conv_1' }],
    ['GET', '/v1/conversations/conv_1/items', { api: 'openai.conversation_items', dialect: 'openai', method: 'GET', noBody: true, resourceId: 'conv_1' }],
    ['POST', '/v1/conversations/conv_1/items', { api: 'openai.conversation_items', dialect: 'openai', method: 'POST', resourceId: 'conv_1' }],
    ['GET', '/v1/conversations/conv_1/items/msg_1', { api: 'openai.conversation_items', dialect: 'openai', method: 'GET', noBody: true, resourceId: 'conv_1', partId: 'msg_1' }],
    ['DELETE', '/v1/conversations/conv_1/items/msg_1', { api: 'openai.conversation_items', dialect: 'openai', method: 'DELETE', noBody: true, resourceId: 'conv_1', partId: 'msg_1' }],
    ['POST', '/v1/containers', { api: 'openai.containers', dialect: 'openai', method: 'POST' }],
    ['GET', '/v1/containers', { api: 'openai.containers', dialect: 'openai', method: 'GET', noBody: true }],
    ['GET', '/v1/containers/cntr_1', { api: 'openai.containers', dialect: 'openai', method: 'GET', noBody: true, resourceId: 'cntr_1' }],
    ['DELETE', '/v1/containers/cntr_1', { api: 'openai.containers', dialect: 'openai', method: 'DELETE', noBody: true, resourceId: 'cntr_1' }],
    ['POST', '/v1/containers/cntr_1/files', { api: 'openai.container_files', dialect: 'openai', method: 'POST', resourceId: 'cntr_1' }],
    ['GET', '/v1/containers/cntr_1/files', { api: 'openai.container_files', dialect: 'openai', method: 'GET', noBody: true, resourceId: 'cntr_1' }],
    ['GET', '/v1/containers/cntr_1/files/cfile_1', { api: 'openai.container_files', dialect: 'openai', method: 'GET', noBody: true, resourceId: 'cntr_1', partId: 'cfile_1' }],
    ['DELETE', '/v1/containers/cntr_1/files/cfile_1', { api: 'openai.container_files', dialect: 'openai', method: 'DELETE', noBody: true, resourceId: 'cntr_1', partId: 'cfile_1' }],
    ['GET', '/v1/containers/cntr_1/files/cfile_1/content', { api: 'openai.container_file_content', dialect: 'openai', method: 'GET', noBody: true, resourceId: 'cntr_1', partId: 'cfile_1' }],
    [
      'POST',
      '/v1beta/models/gemini-3.6-flash:countTokens',
      { api: 'gemini.count_tokens', dialect: 'gemini', method: 'POST', model: 'gemini-3.6-flash', streamByPath: false },
    ],
    [
      'POST',
      '/v1beta/models/gemini-embedding-001:embedContent',
      { api: 'gemini.embed', dialect: 'gemini', method: 'POST', model: 'gemini-embedding-001', streamByPath: false },
    ],
    [
      'POST',
      '/v1beta/models/gemini-embedding-001:batchEmbedContents',
      { api: 'gemini.embed', dialect: 'gemini', method: 'POST', model: 'gemini-embedding-001', streamByPath: false },
    ],
    [
      'POST',
      '/v1beta/tunedModels/my-tuned:generateContent',
      { api: 'gemini.generate', dialect: 'gemini', method: 'POST', model: 'tunedModels/my-tuned', streamByPath: false },
    ],
    ['GET', '/v1beta/models', { api: 'gemini.models', dialect: 'gemini', method: 'GET', noBody: true }],
    ['GET', '/v1beta/models/gemini-3.6-flash', { api: 'gemini.models', dialect: 'gemini', method: 'GET', model: 'gemini-3.6-flash', noBody: true }],
    ['GET', '/v1beta/tunedModels', { api: 'gemini.models', dialect: 'gemini', method: 'GET', noBody: true }],
    ['GET', '/v1beta/tunedModels/my-tuned', { api: 'gemini.models', dialect: 'gemini', method: 'GET', model: 'tunedModels/my-tuned', noBody: true }],
    ['POST', '/v1beta/cachedContents', { api: 'gemini.caches', dialect: 'gemini', method: 'POST' }],
    ['GET', '/v1beta/cachedContents', { api: 'gemini.caches_lookup', dialect: 'gemini', method: 'GET', noBody: true }],
    ['GET', '/v1beta/cachedContents/abc123', { api: 'gemini.caches_lookup', dialect: 'gemini', method: 'GET', noBody: true, resourceId: 'cachedContents/abc123' }],
    ['PATCH', '/v1beta/cachedContents/abc123', { api: 'gemini.caches_lookup', dialect: 'gemini', method: 'PATCH', resourceId: 'cachedContents/abc123' }],
    ['DELETE', '/v1beta/cachedContents/abc123', { api: 'gemini.caches_lookup', dialect: 'gemini', method: 'DELETE', noBody: true, resourceId: 'cachedContents/abc123' }],
    ['POST', '/upload/v1beta/files', { api: 'gemini.files', dialect: 'gemini', method: 'POST', rawBody: true }],
    ['PUT', '/upload/v1beta/files', { api: 'gemini.files', dialect: 'gemini', method: 'PUT', rawBody: true }],
    ['GET', '/v1beta/files', { api: 'gemini.files', dialect: 'gemini', method: 'GET', noBody: true }],
    ['GET', '/v1beta/files/abc-123', { api: 'gemini.files', dialect: 'gemini', method: 'GET', noBody: true, resourceId: 'files/abc-123' }],
    ['DELETE', '/v1beta/files/abc-123', { api: 'gemini.files', dialect: 'gemini', method: 'DELETE', noBody: true, resourceId: 'files/abc-123' }],
    ['POST', '/v1beta/models/gemini-3.6-flash:batchGenerateContent', { api: 'gemini.batches', dialect: 'gemini', method: 'POST', model: 'gemini-3.6-flash', streamByPath: false }],
    ['POST', '/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent', { api: 'gemini.batches', dialect: 'gemini', method: 'POST', model: 'gemini-embedding-001', streamByPath: false }],
    ['GET', '/v1beta/batches', { api: 'gemini.batches', dialect: 'gemini', method: 'GET', noBody: true }],
    ['GET', '/v1beta/batches/abc123', { api: 'gemini.batches', dialect: 'gemini', method: 'GET', noBody: true, resourceId: 'batches/abc123' }],
    ['DELETE', '/v1beta/batches/abc123', { api: 'gemini.batches', dialect: 'gemini', method: 'DELETE', noBody: true, resourceId: 'batches/abc123' }],
    ['POST', '/v1beta/batches/abc123:cancel', { api: 'gemini.batches', dialect: 'gemini', method: 'POST', noBody: true, resourceId: 'batches/abc123' }],
  ] as const)('matches %s %s', (method, path, expected) => {
    expect(lookupRoute(method, path)).toEqual({ kind: 'match', route: expected });
    const route = adapterFor(expected.dialect).matchRoute(method, path);
    expect(route).toEqual(expected satisfies RouteMatch);
  });

  it('URL-decodes the Gemini model and keeps colons inside it', () => {
    const route = adapterFor('gemini').matchRoute('POST', '/v1beta/models/tuned%2Fmy%20model%3Av2:streamGenerateContent');
    expect(route).toMatchObject({ model: 'tuned/my model:v2', streamByPath: true });
  });

  it('routes Gemini under /v1, the stable API version, as under /v1beta; OpenAI keeps GET /v1/models', () => {
    expect(lookupRoute('POST', '/v1/models/gemini-2.5-pro:generateContent')).toMatchObject({ kind: 'match', route: { api: 'gemini.generate', model: 'gemini-2.5-pro' } });
    expect(lookupRoute('POST', '/v1/models/gemini-2.5-pro:streamGenerateContent')).toMatchObject({ kind: 'match', route: { api: 'gemini.generate', streamByPath: true } });
    expect(lookupRoute('GET', '/v1/models')).toMatchObject({ kind: 'match', route: { api: 'openai.models' } });
  });

  it('rejects malformed Gemini paths as unknown', () => {
    for (const path of [
      '/v1beta/models/:generateContent',
      '/v1beta/models/bad%E0%A4:generateContent',
      '/v1beta/models/gemini-3.6-flash:embedContents',
      '/v1beta/models/a/b:generateContent',
      '/v1beta/cachedModels/a:generateContent',
    ]) {
      expect(lookupRoute('POST', path)).toEqual({ kind: 'unknown' });
    }
    // The model's own resource is known, with GET only.
    expect(lookupRoute('POST', '/v1beta/models/gemini-3.6-flash')).toEqual({ kind: 'wrong_method', allow: ['GET'] });
    expect(lookupRoute('POST', '/v1beta/cachedContents/abc123')).toEqual({ kind: 'wrong_method', allow: ['GET', 'PATCH', 'DELETE'] });
    expect(lookupRoute('GET', '/v1beta/cachedContents/a/b')).toEqual({ kind: 'unknown' });
    expect(lookupRoute('GET', '/v1beta/files/a/b')).toEqual({ kind: 'unknown' });
    expect(lookupRoute('GET', '/v1beta/files/%2e%2e')).toEqual({ kind: 'unknown' });
    expect(lookupRoute('POST', '/v1beta/files/abc')).toEqual({ kind: 'wrong_method', allow: ['GET', 'DELETE'] });
    expect(lookupRoute('GET', '/upload/v1beta/files')).toEqual({ kind: 'wrong_method', allow: ['POST', 'PUT'] });
  });

  it('refuses an id or model the upstream URL would resolve to another path: dot segments, backslashes, a raw #', () => {
    // new URL() reads `\\` as `/` and resolves `.`, `..` and `%2e%2e`: `/v1/models/..\\..\\admin` went upstream as `/admin`, with the provider key.
    for (const [method, path] of [
      ['GET', '/v1/models/..\\..\\..\\admin'],
      ['GET', '/v1/models/..'],
      ['GET', '/v1/models/%2e%2e'],
      ['GET', '/v1/files/.%2E/content'],
      ['DELETE', '/v1/files/.'],
      ['GET', '/v1/files/a\\b'],
      ['POST', '/v1/batches/..\\..\\x/cancel'],
      ['GET', '/v1/messages/batches/%2E%2e/results'],
      ['GET', '/v1/responses/..'],
      ['POST', '/v1/responses/%2e/cancel'],
      ['GET', '/v1/responses/a\\..\\..\\b'],
      ['POST', '/v1beta/models/..\\..\\v1\\chat\\completions\\x:generateContent'],
      ['GET', '/v1beta/models/%2e%2e'],
      ['GET', '/v1beta/cachedContents/..'],
      ['DELETE', '/v1/files/file-a#b'],
      ['GET', '/v1/responses/resp_1#x'],
      ['POST', '/v1beta/models/gemini-2.5-pro#x:generateContent'],
      // Encoded, a step only an upstream that decodes %2F before routing would take; none is an id.
      ['POST', '/v1beta/models/..%2F..%2Fv1%2Fchat%2Fcompletions%2Fx:generateContent'],
      ['GET', '/v1/files/a%2F..%2F..%2Fb/content'],
      ['GET', '/v1/models/x%5C..%5C..%5Cadmin'],
      ['GET', '/v1/models/.%2Fx'],
      ['GET', '/v1/containers/..'],
      ['DELETE', '/v1/containers/cntr_1/files/..'],
      ['GET', '/v1/containers/%2e%2e/files/cfile_1/content'],
      ['GET', '/v1/containers/cntr_1/files/a\\b/content'],
      ['GET', '/v1/containers/cntr_1/files/cfile_1/other'],
      ['GET', '/v1/containers/cntr_1/other/cfile_1'],
    ] as const) {
      expect(lookupRoute(method, path), path).toEqual({ kind: 'unknown' });
    }
    // Dots inside an id are ids like any other.
    expect(lookupRoute('GET', '/v1/models/gpt-4.1')).toMatchObject({ kind: 'match', route: { model: 'gpt-4.1' } });
    expect(lookupRoute('GET', '/v1/files/file-..a')).toMatchObject({ kind: 'match', route: { resourceId: 'file-..a' } });
    expect(lookupRoute('POST', '/v1beta/tunedModels/my%2Fmodel..v2:generateContent')).toMatchObject({ kind: 'match', route: { model: 'tunedModels/my/model..v2' } });
  });

  it('takes compact and input_tokens for endpoints of their own, not stored response ids', () => {
    for (const path of ['/v1/responses/compact', '/v1/responses/input_tokens']) {
      expect(lookupRoute('GET', path)).toEqual({ kind: 'wrong_method', allow: ['POST'] });
      expect(lookupRoute('DELETE', path)).toEqual({ kind: 'wrong_method', allow: ['POST'] });
    }
    expect(lookupRoute('GET', '/v1/responses/')).toEqual({ kind: 'unknown' });
    expect(lookupRoute('GET', '/v1/responses/resp_1/other')).toEqual({ kind: 'unknown' });
    expect(lookupRoute('GET', '/v1/models/a/b')).toEqual({ kind: 'unknown' });
    expect(lookupRoute('POST', '/v1/responses/resp_1')).toEqual({ kind: 'wrong_method', allow: ['GET', 'DELETE'] });
    expect(lookupRoute('GET', '/v1/responses/resp_1/cancel')).toEqual({ kind: 'wrong_method', allow: ['POST'] });
  });

  it('looks a shared path up in the dialect the headers claim, else the named provider’s, else OpenAI’s', () => {
    const models = (headers: Record<string, string>, provider?: 'openai' | 'anthropic' | 'gemini') => {
      const found = lookupRoute('GET', '/v1/models/claude-sonnet-5-5', preferredDialects(headers, provider));
      return found.kind === 'match' ? found.route.api : found.kind;
    };
    expect(models({ authorization: 'Bearer tg_x' })).toBe('openai.models');
    expect(models({ 'x-api-key': 'tg_x', 'anthropic-version': '2023-06-01' })).toBe('anthropic.models');
    // The Anthropic SDK with an auth token: Bearer, and its version header.
    expect(models({ authorization: 'Bearer tg_x', 'anthropic-version': '2023-06-01' })).toBe('anthropic.models');
    expect(models({ 'x-api-key': 'tg_x' })).toBe('anthropic.models');
    expect(models({ authorization: 'Bearer tg_x' }, 'anthropic')).toBe('anthropic.models');
    // What the client speaks decides over the provider it names (which then refuses it as another dialect's).
    expect(models({ 'anthropic-version': '2023-06-01' }, 'openai')).toBe('anthropic.models');
    expect(preferredDialects({}, undefined)).toEqual(['openai', 'anthropic', 'gemini']);
    expect(preferredDialects({ 'x-goog-api-key': 'k' }, undefined)).toEqual(['gemini', 'openai', 'anthropic']);
  });

  it('takes /v1/files for Anthropic’s Files API when the request says it is Anthropic’s, else for OpenAI’s', () => {
    const api = (dialects?: readonly ('openai' | 'anthropic' | 'gemini')[]) => {
      const l = lookupRoute('GET', '/v1/files/file_1/content', dialects);
      return l.kind === 'match' ? l.route.api : l.kind;
    };
    expect(api()).toBe('openai.file_content');
    expect(api(preferredDialects({ 'anthropic-version': '2023-06-01' }, undefined))).toBe('anthropic.file_content');
    expect(api(preferredDialects({}, 'anthropic'))).toBe('anthropic.file_content');
  });

  it('takes /v1/batches and /v1/files for Gemini when the key is Gemini (x-goog-api-key, or ?key= without a Bearer), else for OpenAI', () => {
    const api = (method: string, path: string, headers: Record<string, string>, query = '') => {
      const l = lookupRoute(method, path, preferredDialects(headers, undefined, query));
      return l.kind === 'match' ? [l.route.api, l.route.resourceId] : [l.kind];
    };
    const goog = { 'x-goog-api-key': 'tg_x' };
    const bearer = { authorization: 'Bearer tg_x' };
    expect(api('GET', '/v1/batches/abc', goog)).toEqual(['gemini.batches', 'batches/abc']);
    expect(api('GET', '/v1/batches', goog)).toEqual(['gemini.batches', undefined]);
    expect(api('DELETE', '/v1/batches/abc', goog)).toEqual(['gemini.batches', 'batches/abc']);
    expect(api('POST', '/v1/batches/abc:cancel', goog)).toEqual(['gemini.batches', 'batches/abc']);
    expect(api('GET', '/v1/files/abc', goog)).toEqual(['gemini.files', 'files/abc']);
    expect(api('GET', '/v1/files', {}, 'key=tg_x')).toEqual(['gemini.files', undefined]);
    expect(api('GET', '/v1/batches/abc', {}, 'key=tg_x')).toEqual(['gemini.batches', 'batches/abc']);
    expect(api('GET', '/v1/batches/batch_1', bearer)).toEqual(['openai.batches', 'batch_1']);
    expect(api('GET', '/v1/batches/batch_1', bearer, 'key=x')).toEqual(['openai.batches', 'batch_1']);
    expect(api('POST', '/v1/batches/batch_1/cancel', bearer)).toEqual(['openai.batches', 'batch_1']);
    expect(api('GET', '/v1/files/file-1', bearer)).toEqual(['openai.files', 'file-1']);
    expect(api('GET', '/v1/files/file_1', { 'anthropic-version': '2023-06-01' })).toEqual(['anthropic.files', 'file_1']);
    expect(preferredDialects({}, undefined, 'key=k')).toEqual(['gemini', 'openai', 'anthropic']);
  });

  it('takes the Skills API paths for Anthropic when the request says it is Anthropic, else for OpenAI, the skill id the resource of each', () => {
    const anthropic = preferredDialects({ 'anthropic-version': '2023-06-01' }, undefined);
    const cases: [string, string, string, string, string | undefined][] = [
      ['POST', '/v1/skills', 'openai.skills', 'anthropic.skills', undefined],
      ['GET', '/v1/skills', 'openai.skills', 'anthropic.skills', undefined],
      ['GET', '/v1/skills/skill_1', 'openai.skills', 'anthropic.skills', 'skill_1'],
      ['DELETE', '/v1/skills/skill_1', 'openai.skills', 'anthropic.skills', 'skill_1'],
      ['POST', '/v1/skills/skill_1/versions', 'openai.skill_versions', 'anthropic.skill_versions', 'skill_1'],
      ['GET', '/v1/skills/skill_1/versions', 'openai.skill_versions', 'anthropic.skill_versions', 'skill_1'],
      ['GET', '/v1/skills/skill_1/versions/2', 'openai.skill_versions', 'anthropic.skill_versions', 'skill_1'],
      ['DELETE', '/v1/skills/skill_1/versions/2', 'openai.skill_versions', 'anthropic.skill_versions', 'skill_1'],
      ['GET', '/v1/skills/skill_1/versions/2/content', 'openai.skill_content', 'anthropic.skill_content', 'skill_1'],
    ];
    for (const [method, path, openai, claude, resourceId] of cases) {
      const id = resourceId === undefined ? {} : { resourceId };
      expect(lookupRoute(method, path)).toMatchObject({ kind: 'match', route: { api: openai, ...id } });
      expect(lookupRoute(method, path, anthropic)).toMatchObject({ kind: 'match', route: { api: claude, ...id } });
      if (resourceId === undefined) expect(lookupRoute(method, path, anthropic)).not.toHaveProperty('route.resourceId');
    }
    // Uploads are taken as they come (streamed: gateway/upload.ts); OpenAI alone updates a skill and serves its default version's content.
    expect(lookupRoute('POST', '/v1/skills')).toMatchObject({ route: { rawBody: true } });
    expect(lookupRoute('POST', '/v1/skills/skill_1/versions', anthropic)).toMatchObject({ route: { rawBody: true } });
    expect(lookupRoute('POST', '/v1/skills/skill_1')).toMatchObject({ kind: 'match', route: { api: 'openai.skills', resourceId: 'skill_1' } });
    expect(lookupRoute('GET', '/v1/skills/skill_1/content')).toMatchObject({ kind: 'match', route: { api: 'openai.skill_content', resourceId: 'skill_1' } });
    expect(lookupRoute('POST', '/v1/skills/skill_1', ['anthropic'])).toEqual({ kind: 'wrong_method', allow: ['GET', 'DELETE'] });
    expect(lookupRoute('GET', '/v1/skills/skill_1/content', ['anthropic'])).toEqual({ kind: 'unknown' });
    expect(lookupRoute('GET', '/v1/skills/skill_1/versions/2/other')).toEqual({ kind: 'unknown' });
    expect(lookupRoute('GET', '/v1/skills/skill_1/versions/..%2F..')).toEqual({ kind: 'unknown' });
  });

  it('tells a wrong method on a known path apart from an unknown path', () => {
    expect(lookupRoute('GET', '/v1/embeddings')).toEqual({ kind: 'wrong_method', allow: ['POST'] });
    expect(lookupRoute('PUT', '/v1/chat/completions')).toEqual({ kind: 'wrong_method', allow: ['POST', 'GET'] });
    expect(lookupRoute('POST', '/v1/models')).toEqual({ kind: 'wrong_method', allow: ['GET'] });
    expect(lookupRoute('DELETE', '/v1/messages')).toEqual({ kind: 'wrong_method', allow: ['POST'] });
    expect(lookupRoute('GET', '/v1beta/models/gemini-3.6-flash:generateContent')).toEqual({ kind: 'wrong_method', allow: ['POST'] });
    expect(lookupRoute('POST', '/v1/chat/complete')).toEqual({ kind: 'unknown' });
    expect(lookupRoute('POST', '/v1/chat/completions/')).toEqual({ kind: 'unknown' });
    // A stored chat completion's messages are only listed.
    expect(lookupRoute('POST', '/v1/chat/completions/chatcmpl-1/messages')).toEqual({ kind: 'wrong_method', allow: ['GET'] });
    expect(lookupRoute('GET', '/v1/chat/completions/chatcmpl-1/other')).toEqual({ kind: 'unknown' });
    expect(lookupRoute('GET', '/v1/chat/completions/%2e%2e')).toEqual({ kind: 'unknown' });
    // The contract's matchRoute says only "no": the lookup is where the difference lives.
    expect(adapterFor('openai').matchRoute('GET', '/v1/embeddings')).toBeUndefined();
  });

  it('can be limited to the dialects a provider speaks', () => {
    expect(lookupRoute('POST', '/v1/messages', ['openai'])).toEqual({ kind: 'unknown' });
    expect(lookupRoute('POST', '/v1/messages', ['openai', 'anthropic'])).toMatchObject({ kind: 'match' });
  });

  it('matches the pathname only: the caller strips ?beta=true from count_tokens', () => {
    const url = new URL('http://gw/v1/messages/count_tokens?beta=true');
    expect(lookupRoute('POST', url.pathname)).toMatchObject({ kind: 'match', route: { api: 'anthropic.count_tokens' } });
    expect(lookupRoute('POST', '/v1/messages/count_tokens?beta=true')).toEqual({ kind: 'unknown' });
  });
});
