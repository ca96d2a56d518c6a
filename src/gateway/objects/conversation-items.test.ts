import { type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import type { ObjectOwner } from '../../identity/stored-objects.js';
import { newFacts } from '../../metering/build-row.js';
import type { ObjectOwnerStore } from '../../storage/object-owners.js';
import { learnCreatedItems } from './conversation-items.js';
import { ObjectOwners } from './owners.js';
import type { ProviderTable, UpstreamProvider } from '../select-provider.js';

const alice = { keyId: 'k-alice', team: 'platform' };
const bob = { keyId: 'k-bob', team: 'data' };

/** A provider's conversations, each answering its items as the API pages them; `conv_flaky` fails once, `conv_down` always. */
let server: Server;
let base: string;
const agent = new Agent();
const asked: { url: string; authorization: string | undefined }[] = [];
const ITEMS: Record<string, string[]> = { conv_paged: ['msg_a', 'msg_b', 'msg_c'], conv_flaky: ['msg_f'], conv_known: ['msg_mine', 'msg_bobs'] };
let flaky = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    asked.push({ url: url.pathname + url.search, authorization: req.headers.authorization });
    const conversation = /^\/v1\/conversations\/([^/]+)\/items$/.exec(url.pathname)?.[1];
    const items = conversation === undefined ? undefined : ITEMS[conversation];
    if (conversation === 'conv_down' || (conversation === 'conv_flaky' && flaky++ === 0)) res.writeHead(503).end('busy');
    else if (items === undefined) res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"type":"invalid_request_error"}}');
    else page(res, items, url.searchParams.get('after'));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

/** Two items a page, whatever the limit asked: the listing must follow the pages. */
function page(res: ServerResponse, items: string[], after: string | null): void {
  const from = after === null ? 0 : items.indexOf(after) + 1;
  const data = items.slice(from, from + 2).map((id) => ({ id, type: 'message', role: 'user', content: [] }));
  const more = from + 2 < items.length;
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: more }));
}

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
  await agent.close();
});

function setUp(o: { failReads?: boolean; known?: Record<string, ObjectOwner> } = {}) {
  const rows = new Map(Object.entries(o.known ?? {}));
  const store: ObjectOwnerStore = {
    add: (objects) => {
      for (const x of objects) if (!rows.has(x.id)) rows.set(x.id, { keyId: x.keyId, team: x.team });
      return Promise.resolve();
    },
    owners: (ids) => (o.failReads ? Promise.reject(new Error('connection refused')) : Promise.resolve(new Map(ids.filter((id) => rows.has(id)).map((id) => [id, rows.get(id)!])))),
    records: () => Promise.resolve([]),
    remove: () => Promise.resolve(),
  };
  const objects = new ObjectOwners({ mode: 'team', store, log: silentLogger, missWaitMs: 0 });
  const openai: UpstreamProvider = { name: 'openai', dialect: 'openai', baseUrl: base, apiKey: 'sk-upstream', models: undefined, headers: { 'openai-organization': 'org-1' }, catalog: 'openai' };
  const claude: UpstreamProvider = { ...openai, name: 'claude', dialect: 'anthropic' };
  const providers = { byName: (n: string) => [openai, claude].find((p) => p.name === n) } as unknown as ProviderTable;
  const learn = (conversation: string, f: { status?: number; provider?: string } = {}) =>
    learnCreatedItems({ agent, providers, log: silentLogger, objects, retryMs: 5 }, Object.assign(newFacts('r1', Date.now(), 'openai.conversations'), { status: 200, provider: 'openai', responseId: conversation, ...f }), alice);
  return { objects, rows, learn };
}

describe('the items a conversation was created with', () => {
  it('are listed from its provider, every page, with the key Tollgate holds, and given to the conversation owner', async () => {
    const t = setUp();
    asked.length = 0;
    t.learn('conv_paged');
    // A check of an item waits for the listing under way.
    await expect(t.objects.check(['msg_c'], { keyId: 'k-carol', team: 'platform' }, 'item')).resolves.toBeDefined();
    await expect(t.objects.check(['msg_a'], bob, 'item')).rejects.toMatchObject({ code: 'object_not_owned' });
    expect(asked).toEqual([
      { url: '/v1/conversations/conv_paged/items?limit=100&order=asc', authorization: 'Bearer sk-upstream' },
      { url: '/v1/conversations/conv_paged/items?limit=100&order=asc&after=msg_b', authorization: 'Bearer sk-upstream' },
    ]);
    await t.objects.flush();
    expect(t.rows.get('msg_b')).toEqual(alice);
  });

  it('keep an owner an item had already, and are tried again when the provider fails', async () => {
    const t = setUp({ known: { msg_bobs: bob } });
    t.learn('conv_known');
    t.learn('conv_flaky');
    await t.objects.flush();
    expect(t.rows.get('msg_mine')).toEqual(alice);
    expect(t.rows.get('msg_bobs')).toEqual(bob);
    expect(t.rows.get('msg_f')).toEqual(alice);
    await expect(t.objects.check(['msg_bobs'], alice, 'item')).rejects.toMatchObject({ code: 'object_not_owned' });
  });

  it('are not recorded when the provider never answers, storage cannot say whose they are, or nothing was made', async () => {
    const down = setUp();
    asked.length = 0;
    down.learn('conv_down');
    await expect(down.objects.check(['msg_x'], alice, 'item')).rejects.toMatchObject({ code: 'object_not_owned' });
    expect(asked).toHaveLength(3);
    const blind = setUp({ failReads: true });
    blind.learn('conv_paged');
    await blind.objects.flush();
    expect(blind.rows.size).toBe(0);
    const none = setUp();
    asked.length = 0;
    none.learn('conv_paged', { status: 400 });
    none.learn('conv_paged', { provider: 'claude' });
    none.learn('conv_gone');
    await none.objects.flush();
    expect(asked.map((a) => a.url)).toEqual(['/v1/conversations/conv_gone/items?limit=100&order=asc']);
    expect(none.rows.size).toBe(0);
  });
});
