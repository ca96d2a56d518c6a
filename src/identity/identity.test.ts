import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import type { KeyRecord, KeyStore } from '../storage/ports.js';
import { detectClient, detectClientVersion, detectSession } from './client.js';
import { identify } from './identify.js';
import { KeyResolver, UNKNOWN_KEYS } from './key-resolver.js';
import { parseTags } from './tags.js';
import { fingerprint, generateKey, hashKey } from './virtual-keys.js';

function memoryKeys(records: (KeyRecord & { hash: string })[]): KeyStore & { lookups: number } {
  const store = {
    lookups: 0,
    create: () => Promise.reject(new Error('unused')),
    list: () => Promise.resolve(records),
    revoke: () => Promise.resolve(undefined),
    findByHash: (hash: string) => {
      store.lookups += 1;
      return Promise.resolve(records.find((r) => r.hash === hash));
    },
  };
  return store;
}

const allow = { passthrough: 'allow', anonymous: 'deny' } as const;

describe('identity', () => {
  it('reads attribution headers sent as UTF-8 as their text (Node hands header bytes over as Latin-1)', async () => {
    const raw = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
    const who = await identify(undefined, { 'x-tollgate-user': raw('ünïcødé-用户'), 'x-tollgate-tags': raw('workflow=révision') }, new KeyResolver(memoryKeys([])), { ...allow, anonymous: 'allow' });
    expect(who.user).toBe('ünïcødé-用户');
    expect(who.tags).toEqual({ workflow: 'révision' });
  });

  it('generates tg_ keys and stores only their hash', () => {
    const k = generateKey();
    expect(k.key).toMatch(/^tg_[A-Za-z0-9_-]{43}$/);
    expect(k.hash).toBe(hashKey(k.key));
    expect(k.hash).not.toContain(k.key);
    expect(fingerprint('sk-secret')).toMatch(/^fp_[0-9a-f]{16}$/);
    expect(fingerprint('sk-secret')).not.toContain('secret');
  });

  it('recognises clients from the headers they send by themselves', () => {
    expect(detectClient({ 'user-agent': 'claude-cli/2.1.197 (external, sdk-cli)', 'x-app': 'cli' })).toBe('claude-code');
    expect(detectClient({ 'user-agent': 'codex_exec/0.169.0 (Debian 12.0.0; x86_64)', originator: 'codex_exec' })).toBe('codex');
    expect(detectClient({ 'user-agent': 'OpenAI/JS 6.49.0' })).toBe('openai-sdk');
    expect(detectClient({ 'user-agent': 'Anthropic/JS 1.12.0' })).toBe('anthropic-sdk');
    expect(detectClient({ 'x-goog-api-client': 'google-genai-sdk/2.32.0 gl-node/v20' })).toBe('genai-sdk');
    expect(detectClient({ 'user-agent': 'curl/8.1' })).toBe('curl');
    expect(detectClient({})).toBeNull();
  });

  it('reads the version of the client from the same headers', () => {
    expect(detectClientVersion({ 'user-agent': 'claude-cli/2.1.197 (external, sdk-cli)', 'x-app': 'cli' })).toBe('2.1.197');
    expect(detectClientVersion({ 'user-agent': 'codex_cli_rs/0.169.0 (Debian 12.0.0; x86_64) xterm' })).toBe('0.169.0');
    expect(detectClientVersion({ 'user-agent': 'OpenAI/JS 6.49.0' })).toBe('6.49.0');
    expect(detectClientVersion({ 'user-agent': 'AsyncOpenAI/Python 2.3.0' })).toBe('2.3.0');
    expect(detectClientVersion({ 'user-agent': 'Anthropic/JS 1.12.0' })).toBe('1.12.0');
    expect(detectClientVersion({ 'user-agent': 'google-genai-sdk/2.32.0 gl-node/v20.20.2', 'x-goog-api-client': 'google-genai-sdk/2.32.0 gl-node/v20.20.2' })).toBe('2.32.0');
    expect(detectClientVersion({ 'x-goog-api-client': 'gl-node/v20 google-genai-sdk/1.30.0' })).toBe('1.30.0');
    expect(detectClientVersion({ 'user-agent': 'curl/8.1.2' })).toBe('8.1.2');
    expect(detectClientVersion({ 'user-agent': 'my-app/v1.4.2-rc.1+build.7' })).toBe('1.4.2-rc.1+build.7');
    expect(detectClientVersion({ 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)' })).toBe('5.0');
    // No version, or none that reads as one: nothing rather than a guess.
    for (const ua of ['undici', 'node', 'OpenAI/JS', 'tool/latest', 'tool/"1.0"', '/1.0', 'a b/1.0', `tool/1${'2'.repeat(60)}`]) expect(detectClientVersion({ 'user-agent': ua })).toBeNull();
    expect(detectClientVersion({})).toBeNull();
  });

  it('tags a request with its client s version over a tag of that name, and keeps the client s tag when its headers name none', async () => {
    const keys = new KeyResolver(memoryKeys([]));
    const withUa = await identify(undefined, { 'user-agent': 'claude-cli/2.1.197 (external, cli)', 'x-tollgate-tags': 'workflow=review,client_version=9' }, keys, { passthrough: 'allow', anonymous: 'allow' });
    expect(withUa.tags).toEqual({ workflow: 'review', client_version: '2.1.197' });
    const own = await identify(undefined, { 'user-agent': 'undici', 'x-tollgate-tags': 'client_version=1.4.2' }, keys, { passthrough: 'allow', anonymous: 'allow' });
    expect(own.tags).toEqual({ client_version: '1.4.2' });
    expect((await identify(undefined, {}, keys, { passthrough: 'allow', anonymous: 'allow' })).tags).toEqual({});
  });

  it('tags a Claude Code subagent s request with its agent and parent agent, over client tags of those names; a main thread s request has neither', async () => {
    const keys = new KeyResolver(memoryKeys([]));
    const sub = await identify(undefined, { 'user-agent': 'claude-cli/2.1.197 (external, cli)', 'x-claude-code-agent-id': 'a7f3c2', 'x-claude-code-parent-agent-id': 'a0b1', 'x-tollgate-tags': 'agent_id=mine,workflow=review' }, keys, { passthrough: 'allow', anonymous: 'allow' });
    expect(sub.tags).toEqual({ workflow: 'review', client_version: '2.1.197', agent_id: 'a7f3c2', parent_agent_id: 'a0b1' });
    const main = await identify(undefined, { 'user-agent': 'claude-cli/2.1.197 (external, cli)', 'x-claude-code-agent-id': '  ' }, keys, { passthrough: 'allow', anonymous: 'allow' });
    expect(main.tags).toEqual({ client_version: '2.1.197' });
  });

  it('tags a Codex sub-agent s request with its thread and the thread that spawned it; a main thread s request has neither', async () => {
    const keys = new KeyResolver(memoryKeys([]));
    const meta = (m: object) => ({ 'user-agent': 'codex_exec/0.169.0 (Debian 12.0.0; x86_64)', originator: 'codex_exec', 'session-id': 's1', 'x-codex-turn-metadata': JSON.stringify({ session_id: 's1', ...m }) });
    const sub = await identify(undefined, meta({ thread_id: 't2', parent_thread_id: 't1', thread_source: 'subagent' }), keys, { passthrough: 'allow', anonymous: 'allow' });
    expect(sub).toMatchObject({ sessionId: 's1', tags: { client_version: '0.169.0', agent_id: 't2', parent_agent_id: 't1' } });
    const main = await identify(undefined, meta({ thread_id: 's1', thread_source: 'user' }), keys, { passthrough: 'allow', anonymous: 'allow' });
    expect(main.tags).toEqual({ client_version: '0.169.0' });
  });

  it('names the SDK whatever client class of it sent the request (async, Azure, Bedrock, Vertex)', () => {
    // Stainless SDKs put the client class in the user agent: AsyncOpenAI is what LangChain and most async Python apps use.
    for (const ua of ['OpenAI/Python 2.8.1', 'AsyncOpenAI/Python 2.8.1', 'AzureOpenAI/Python 2.8.1', 'AsyncAzureOpenAI/Python 2.8.1', 'AzureOpenAI/JS 6.49.0']) {
      expect(detectClient({ 'user-agent': ua })).toBe('openai-sdk');
    }
    for (const ua of ['Anthropic/Python 0.75.0', 'AsyncAnthropic/Python 0.75.0', 'AnthropicBedrock/Python 0.75.0', 'AsyncAnthropicVertex/Python 0.75.0', 'AnthropicFoundry/JS 1.12.0']) {
      expect(detectClient({ 'user-agent': ua })).toBe('anthropic-sdk');
    }
    expect(detectClient({ 'user-agent': 'OpenAIish/1.0' })).toBe('openaiish');
  });

  it('finds the session from Tollgate, Claude Code and Codex headers', () => {
    expect(detectSession({ 'x-tollgate-session': 'mine', 'x-claude-code-session-id': 'cc' })).toBe('mine');
    expect(detectSession({ 'x-claude-code-session-id': 'cc-1' })).toBe('cc-1');
    expect(detectSession({ 'session-id': 'cx-1' })).toBe('cx-1');
    expect(detectSession({ 'x-codex-turn-metadata': '{"session_id":"cx-2"}' })).toBe('cx-2');
    expect(detectSession({ 'x-codex-turn-metadata': 'not json' })).toBeNull();
  });

  it('takes an empty session header for none: it neither hides another nor becomes a session', () => {
    expect(detectSession({ 'x-tollgate-session': '', 'x-claude-code-session-id': 'cc-2' })).toBe('cc-2');
    expect(detectSession({ 'x-tollgate-session': '' })).toBeNull();
    expect(detectSession({ 'x-codex-turn-metadata': '{"session_id":""}' })).toBeNull();
  });

  it('parses tags and rejects malformed ones with a clear message', () => {
    expect(parseTags('workflow=review, prompt_version=v7')).toEqual({ tags: { workflow: 'review', prompt_version: 'v7' } });
    expect(parseTags(undefined)).toEqual({ tags: {} });
    expect(parseTags('oops')).toEqual({ error: expect.stringContaining('not name=value') });
    expect(parseTags('a=')).toEqual({ error: expect.stringContaining('1 to 256') });
    // The gateway's own mark for breakpoints it added: a client's would count in the cache report's before-and-after.
    expect(parseTags('workflow=x,cache=auto')).toEqual({ error: expect.stringContaining('cache=auto is the mark the gateway sets') });
    expect(parseTags('cache=warm')).toEqual({ tags: { cache: 'warm' } });
  });

  it('resolves virtual keys: key fields win, headers fill the blanks', async () => {
    const k = generateKey();
    const store = memoryKeys([{ id: 'key_1', hash: k.hash, prefix: 'tg_', user: 'alice', team: 'platform', project: null, name: null, createdAt: 0, revokedAt: null, expiresAt: null }]);
    const who = await identify({ key: k.key, where: 'authorization' }, { 'x-tollgate-user': 'mallory', 'x-tollgate-project': 'p1', 'x-tollgate-tags': 'workflow=ci' }, new KeyResolver(store), allow);
    expect(who).toMatchObject({ keyId: 'key_1', user: 'alice', team: 'platform', project: 'p1', tags: { workflow: 'ci' }, upstreamKey: { kind: 'configured' } });
  });

  it('refuses a bad key before malformed tags, and returns malformed tags as a refusal with the caller known', async () => {
    const k = generateKey();
    const keys = new KeyResolver(memoryKeys([{ id: 'key_t', hash: k.hash, prefix: 'tg_', user: 'alice', team: 'platform', project: null, name: null, createdAt: 0, revokedAt: null, expiresAt: null }]));
    const bad = { 'x-tollgate-tags': '===' };
    await expect(identify({ key: 'tg_nope', where: 'authorization' }, bad, keys, allow)).rejects.toMatchObject({ code: 'invalid_api_key' });
    const who = await identify({ key: k.key, where: 'authorization' }, bad, keys, allow);
    expect(who).toMatchObject({ keyId: 'key_t', user: 'alice', team: 'platform', tags: {} });
    expect(who.refusal).toMatchObject({ code: 'invalid_request', message: expect.stringContaining('not name=value') });
    expect((await identify({ key: k.key, where: 'authorization' }, { 'x-tollgate-tags': 'workflow=ci' }, keys, allow)).refusal).toBeUndefined();
  });

  it('names a revoked or expired key, with its user, team and project, in the refusal it returns (ahead of malformed tags)', async () => {
    const [r, e] = [generateKey(), generateKey()];
    const store = memoryKeys([
      { id: 'key_r', hash: r.hash, prefix: 'tg_', user: 'bob', team: 'infra', project: 'p9', name: null, createdAt: 0, revokedAt: 5, expiresAt: null },
      { id: 'key_e', hash: e.hash, prefix: 'tg_', user: 'carol', team: null, project: null, name: null, createdAt: 0, revokedAt: null, expiresAt: 10 },
    ]);
    const keys = new KeyResolver(store);
    const revoked = await identify({ key: r.key, where: 'x-api-key' }, { 'x-tollgate-tags': 'not a tag' }, keys, allow);
    expect(revoked).toMatchObject({ keyId: 'key_r', user: 'bob', team: 'infra', project: 'p9' });
    expect(revoked.refusal).toMatchObject({ code: 'revoked_api_key', message: 'Tollgate key key_r was revoked. Ask your admin for a new key.' });
    const expired = await identify({ key: e.key, where: 'authorization' }, { 'x-tollgate-team': 'platform' }, keys, allow);
    expect(expired).toMatchObject({ keyId: 'key_e', user: 'carol', team: 'platform', refusal: { code: 'expired_api_key' } });
  });

  it('refuses unknown keys, and missing keys unless anonymous is allowed', async () => {
    const k = generateKey();
    const store = memoryKeys([{ id: 'key_r', hash: k.hash, prefix: 'tg_', user: 'bob', team: null, project: null, name: null, createdAt: 0, revokedAt: 5, expiresAt: null }]);
    const keys = new KeyResolver(store);
    await expect(identify({ key: 'tg_nope', where: 'x-api-key' }, {}, keys, allow)).rejects.toMatchObject({ code: 'invalid_api_key' });
    await expect(identify(undefined, {}, keys, allow)).rejects.toBeInstanceOf(GatewayError);
    await expect(identify(undefined, {}, keys, { passthrough: 'allow', anonymous: 'allow' })).resolves.toMatchObject({ keyId: null });
  });

  it('passes provider keys through under a fingerprint, unless forbidden', async () => {
    const keys = new KeyResolver(memoryKeys([]));
    const who = await identify({ key: 'sk-real', where: 'authorization' }, { 'x-tollgate-user': 'carol' }, keys, allow);
    expect(who).toMatchObject({ keyId: fingerprint('sk-real'), user: 'carol', upstreamKey: { kind: 'passthrough', key: 'sk-real' } });
    await expect(identify({ key: 'sk-real', where: 'authorization' }, {}, keys, { passthrough: 'deny', anonymous: 'deny' })).rejects.toMatchObject({ code: 'passthrough_forbidden' });
  });

  it('refuses the admin token sent as an API key, offering a provider key instead only where one is accepted', async () => {
    const keys = new KeyResolver(memoryKeys([]));
    const admin = { key: 'admin-secret-token', where: 'authorization' } as const;
    await expect(identify(admin, {}, keys, { ...allow, adminToken: admin.key })).rejects.toMatchObject({ code: 'invalid_api_key', message: expect.stringMatching(/Send a Tollgate virtual key \(tg_…\) or your own provider key\.$/) });
    await expect(identify(admin, {}, keys, { passthrough: 'deny', anonymous: 'deny', adminToken: admin.key })).rejects.toMatchObject({ code: 'invalid_api_key', message: expect.stringMatching(/Send a Tollgate virtual key \(tg_…\)\.$/) });
  });

  it('caches lookups for a short time', async () => {
    let t = 0;
    const store = memoryKeys([]);
    const r = new KeyResolver(store, 1000, () => t);
    await r.resolve('tg_a');
    await r.resolve('tg_a');
    expect(store.lookups).toBe(1);
    t = 1001;
    await r.resolve('tg_a');
    expect(store.lookups).toBe(2);
  });

  it('keeps serving keys it has seen while storage is down or slow, and refuses unseen ones with 503', async () => {
    let t = 0;
    const k = generateKey();
    const store = memoryKeys([{ id: 'key_1', hash: k.hash, prefix: 'tg_', user: 'alice', team: null, project: null, name: null, createdAt: 0, revokedAt: null, expiresAt: null }]);
    const r = new KeyResolver(store, 1000, () => t, 50);
    expect(await r.resolve(k.key)).toMatchObject({ id: 'key_1' });
    const up = (hash: string) => memoryKeys([{ id: 'key_1', hash: k.hash, prefix: 'tg_', user: 'alice', team: null, project: null, name: null, createdAt: 0, revokedAt: null, expiresAt: null }]).findByHash(hash);
    store.findByHash = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    t = 5000;
    expect(await r.resolve(k.key)).toMatchObject({ id: 'key_1' });
    await expect(r.resolve('tg_never_seen')).rejects.toMatchObject({ code: 'storage_unavailable', status: 503, headers: { 'retry-after': '5' } });
    // A store that hangs: the key is served its last state at once, storage asked behind it.
    let fail: (e: Error) => void = () => undefined;
    store.findByHash = () => new Promise((_, no) => (fail = no));
    t = 10_000;
    expect(await r.resolve(k.key)).toMatchObject({ id: 'key_1' });
    fail(new Error('Query read timeout'));
    await new Promise((ok) => setImmediate(ok));
    // Back up: the next request after the ttl has its last state while storage is read again, and the one after that the answer (a revocation made meanwhile now counts).
    store.findByHash = (hash) => up(hash).then((rec) => rec && { ...rec, revokedAt: 9000, expiresAt: null });
    t = 20_000;
    expect(await r.resolve(k.key)).toMatchObject({ id: 'key_1', revokedAt: null });
    await new Promise((ok) => setImmediate(ok));
    expect(await r.resolve(k.key)).toMatchObject({ id: 'key_1', revokedAt: 9000, expiresAt: null });
  });

  it('while storage hangs, serves a seen key its last state without waiting, with at most one lookup under way, asked again a ttl after it failed', async () => {
    let t = 0;
    const k = generateKey();
    const rec = { id: 'key_1', hash: k.hash, prefix: 'tg_', user: 'alice', team: null, project: null, name: null, createdAt: 0, revokedAt: null, expiresAt: null };
    const store = memoryKeys([rec]);
    // The wait is 100 ms: a resolve that waited on storage would lose the race below.
    const r = new KeyResolver(store, 1000, () => t, 100);
    expect(await r.resolve(k.key)).toEqual(rec);
    const fails: ((e: Error) => void)[] = [];
    store.findByHash = () => {
      store.lookups += 1;
      return new Promise((_, no) => fails.push(no));
    };
    const fast = (p: Promise<unknown>) => Promise.race([p, new Promise((ok) => setTimeout(() => ok('waited'), 50))]);
    // The first lookup after the ttl finds storage hung: that request waits the lookup timeout, once.
    t = 1500;
    expect(await r.resolve(k.key)).toEqual(rec);
    expect(store.lookups).toBe(2);
    // From then on, no request waits; the hung query is not asked again while it is under way.
    for (t = 1600; t < 6000; t += 500) expect(await fast(r.resolve(k.key)), `t=${t}`).toEqual(rec);
    expect(store.lookups).toBe(2);
    // It fails (the driver's query timeout): the key is asked again a ttl after that, not before.
    t = 6000;
    fails[0]!(new Error('Query read timeout'));
    await new Promise((ok) => setImmediate(ok));
    t = 6900;
    expect(await fast(r.resolve(k.key))).toEqual(rec);
    expect(store.lookups).toBe(2);
    t = 7100;
    expect(await fast(r.resolve(k.key))).toEqual(rec);
    expect(store.lookups).toBe(3);
    // Another seen key whose ttl runs out meanwhile does not wait either: storage is known to fail.
    const other = generateKey();
    const rec2 = { ...rec, id: 'key_2', hash: other.hash };
    const r2 = new KeyResolver(memoryKeys([rec, rec2]), 1000, () => t, 100);
    await r2.resolve(k.key);
    await r2.resolve(other.key);
    (r2 as unknown as { store: KeyStore }).store.findByHash = () => new Promise(() => undefined);
    t = 8200;
    expect(await r2.resolve(k.key)).toEqual(rec);
    expect(await fast(r2.resolve(other.key))).toEqual(rec2);
  });

  it('makes one storage query for concurrent lookups of one uncached key, and caches no failure', async () => {
    const k = generateKey();
    const rec = { id: 'key_1', hash: k.hash, prefix: 'tg_', user: 'alice', team: null, project: null, name: null, createdAt: 0, revokedAt: null, expiresAt: null };
    const store = memoryKeys([rec]);
    // Storage hangs until the test answers: every pending query is one connection held.
    let answer: (r: KeyRecord | undefined) => void = () => undefined;
    const fails: ((e: Error) => void)[] = [];
    const slow = () => {
      store.lookups += 1;
      return new Promise<KeyRecord | undefined>((ok, no) => ((answer = ok), fails.push(no)));
    };
    store.findByHash = slow;
    let t = 0;
    const r = new KeyResolver(store, 1000, () => t);
    const burst = Array.from({ length: 50 }, () => r.resolve(k.key));
    const other = r.resolve('tg_other');
    expect(store.lookups).toBe(2);
    answer(undefined); // tg_other's, the latest query
    expect(await other).toBeUndefined();

    // The first query fails: all fifty are refused, and nothing is remembered.
    fails[0]!(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    const refused = await Promise.allSettled(burst);
    expect(refused.every((x) => x.status === 'rejected' && (x.reason as GatewayError).code === 'storage_unavailable')).toBe(true);
    const again = [r.resolve(k.key), r.resolve(k.key)];
    expect(store.lookups).toBe(3);
    answer(rec);
    expect(await Promise.all(again)).toEqual([rec, rec]);
    // Cached now: no query until the ttl ends.
    await r.resolve(k.key);
    expect(store.lookups).toBe(3);

    // A revocation in this process: the key is revoked at once, a lookup started before it
    // is neither joined nor cached, and other keys keep their cached state.
    const third = generateKey();
    const rec3 = { ...rec, id: 'key_3', hash: third.hash };
    const thirdAsked = r.resolve(third.key);
    answer(rec3);
    expect(await thirdAsked).toEqual(rec3);
    t = 2000;
    const before = r.resolve(k.key);
    const answerBefore = answer;
    r.revoked({ ...rec, revokedAt: 1500, expiresAt: null });
    expect(await r.resolve(k.key)).toMatchObject({ revokedAt: 1500, expiresAt: null });
    answerBefore(rec);
    expect(await before).toEqual(rec);
    expect(await r.resolve(k.key)).toMatchObject({ revokedAt: 1500, expiresAt: null });
    expect(r.held.known).toBe(2);
    expect(store.lookups).toBe(5);
    // After the ttl, storage is read again, and not joined to the lookup from before the revocation.
    t = 3500;
    const later = r.resolve(k.key);
    expect(store.lookups).toBe(6);
    answer({ ...rec, revokedAt: 1500, expiresAt: null });
    expect(await later).toMatchObject({ revokedAt: 1500 });
  });

  it('remembers made-up keys for one ttl and at most UNKNOWN_KEYS of them, and keeps no storage-down fallback for them', async () => {
    let t = 0;
    const k = generateKey();
    const store = memoryKeys([{ id: 'key_1', hash: k.hash, prefix: 'tg_', user: 'alice', team: null, project: null, name: null, createdAt: 0, revokedAt: null, expiresAt: null }]);
    const r = new KeyResolver(store, 1000, () => t);
    await r.resolve(k.key);
    const n = UNKNOWN_KEYS + 200;
    const later = generateKey();
    expect(await r.resolve(later.key)).toBeUndefined();
    for (let i = 0; i < n; i++) expect(await r.resolve(`tg_made_up_${i}`)).toBeUndefined();
    expect(r.held).toEqual({ known: 1, unknown: UNKNOWN_KEYS });
    // Within the ttl the newest are answered from memory, the oldest were dropped and asked again.
    const asked = store.lookups;
    await r.resolve(`tg_made_up_${n - 1}`);
    expect(store.lookups).toBe(asked);
    expect(await r.resolve('tg_made_up_0')).toBeUndefined();
    expect(store.lookups).toBe(asked + 1);
    // Past the ttl, the next unknown key sweeps those whose time is up.
    t = 1001;
    await r.resolve('tg_made_up_late');
    expect(r.held).toEqual({ known: 1, unknown: 1 });
    // A key created elsewhere after it was refused here works once the ttl is over.
    store.findByHash = (hash) => Promise.resolve(hash === later.hash ? { id: 'key_2', hash, prefix: 'tg_', user: 'bob', team: null, project: null, name: null, createdAt: 0, revokedAt: null, expiresAt: null } : undefined);
    expect(await r.resolve(later.key)).toMatchObject({ id: 'key_2' });
    // Storage down: a key it knows keeps its last state; a made-up one seen before is as unseen (503).
    store.findByHash = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    t = 5000;
    expect(await r.resolve(k.key)).toMatchObject({ id: 'key_1' });
    await expect(r.resolve('tg_made_up_late')).rejects.toMatchObject({ code: 'storage_unavailable' });
  });
});
