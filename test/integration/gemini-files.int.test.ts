import { ApiError, GoogleGenAI, createPartFromUri } from '@google/genai';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { Agent, request as undiciRequest } from 'undici';
import { describe, expect, it } from 'vitest';
import type { CreatedKey } from '../../src/identity/key-service.js';
import type { Storage } from '../../src/storage/ports.js';
import { type Harness, defaultProviders, eventually, startHarness } from '../support/harness.js';
import { testCertificate } from '../support/certs.js';
import { harnessEngines, teamKeys, teamStart } from '../support/team-storage.js';

const MB = 1024 * 1024;
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(64 * 1024)]);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('base64');

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
}

/** A request whose head goes at once, its body written by the test as it likes. */
function open(url: string, headers: Record<string, string>, method = 'POST'): { req: ClientRequest; answer: Promise<Answer>; write(b: Buffer): Promise<void> } {
  const req = request(url, { method, headers });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  const write = (b: Buffer) => new Promise<void>((resolve, reject) => req.write(b, (err) => (err ? reject(err) : resolve())));
  return { req, answer, write };
}

/** Starts a resumable upload as a REST client does (curl, fetch), its key where `auth` puts it: the upload URL given back. */
async function startUpload(base: string, auth: { header: string } | { query: string }, size: number): Promise<{ status: number; url: string | null; text: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-goog-upload-protocol': 'resumable', 'x-goog-upload-command': 'start', 'x-goog-upload-header-content-length': String(size), 'x-goog-upload-header-content-type': 'video/mp4' };
  if ('header' in auth) headers['x-goog-api-key'] = auth.header;
  const res = await fetch(`${base}/upload/v1beta/files${'query' in auth ? `?key=${auth.query}` : ''}`, { method: 'POST', headers, body: JSON.stringify({ file: { displayName: 'clip.mp4' } }) });
  return { status: res.status, url: res.headers.get('x-goog-upload-url'), text: await res.text() };
}

/** One request of an upload's bytes, sent whole. */
async function send(url: string, bytes: Buffer, command: string, offset: number, headers: Record<string, string> = {}): Promise<Answer> {
  const up = open(url, { 'content-length': String(bytes.length), 'x-goog-upload-command': command, 'x-goog-upload-offset': String(offset), ...headers });
  await up.write(bytes).catch(() => undefined);
  up.req.end();
  return up.answer;
}

/**
 * Gemini's Files API through `@google/genai` (its resumable upload, get, list, delete, and the parts
 * that name a file): passed through on free rows, the upload's bytes through the gateway, and kept
 * to the team of the key that uploaded the file (auth.stored_objects: team): alice (team platform)
 * uploads, carol (platform) shares, bob (team data) is told it does not exist, nothing of his sent upstream.
 */
describe.each(harnessEngines('gemini_files'))('Gemini files (%s)', (_, storage: (() => Promise<Storage>) | undefined) => {
  let h: Harness;
  let carol: CreatedKey;
  let bob: CreatedKey;
  const start = teamStart(storage, (t) => ({ h, carol, bob } = t));
  const ai = (key: CreatedKey, base = h.url) => new GoogleGenAI({ apiKey: key.key, httpOptions: { baseUrl: base } });
  const upload = (key: CreatedKey, bytes = PDF, config: { name?: string } = {}) => ai(key).files.upload({ file: new Blob([bytes], { type: 'application/pdf' }), config: { displayName: 'report.pdf', ...config } });
  const ask = (key: CreatedKey, uri: string) => ai(key).models.generateContent({ model: 'gemini-2.5-flash', contents: [{ role: 'user', parts: [createPartFromUri(uri, 'application/pdf'), { text: 'Summarise it.' }] }] });
  /** The SDK's error for a call, which must be refused with `status` and nothing sent upstream. */
  const refusedUnsent = async (call: () => Promise<unknown>, status = 404) => {
    const asked = h.fake.arrivals.length;
    const err = await call().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(status);
    expect(h.fake.arrivals.length).toBe(asked);
    return err as ApiError;
  };

  it('uploads, reads, lists and deletes a file through the SDK, each a free row, for the uploader and its team', async () => {
    await start();
    const file = await upload(h.key);
    expect(file).toMatchObject({ name: expect.stringMatching(/^files\//), displayName: 'report.pdf', mimeType: 'application/pdf', sizeBytes: String(PDF.length), sha256Hash: sha256(PDF), state: 'ACTIVE' });
    const [started, sent] = h.fake.requests;
    expect(started).toMatchObject({ method: 'POST', path: '/upload/v1beta/files', route: 'gemini.files.start' });
    expect(started!.headers['x-goog-api-key']).toBe('gm-upstream');
    expect(sent).toMatchObject({ method: 'POST', path: '/upload/v1beta/files', route: 'gemini.files.upload' });
    expect(sent!.body.equals(PDF)).toBe(true);
    expect(sent!.headers['x-goog-api-key']).toBe('gm-upstream');
    expect(sent!.headers['x-goog-upload-command']).toBe('upload, finalize');
    // Carol, of alice's team, reads it, lists it and asks about it; a YouTube video is no file and passes.
    expect(await ai(carol).files.get({ name: file.name! })).toMatchObject({ name: file.name, uri: file.uri });
    const listed: string[] = [];
    for await (const f of await ai(carol).files.list()) listed.push(f.name!);
    expect(listed).toEqual([file.name]);
    expect((await ask(carol, file.uri!)).text).toBeTruthy();
    expect((await ask(carol, file.name!)).text).toBeTruthy();
    expect((await ask(carol, 'https://www.youtube.com/watch?v=9hE5-98ZeCg')).text).toBeTruthy();
    await ai(h.key).files.delete({ name: file.name! });
    const rows = await h.rows();
    expect(rows.map((r) => r.api)).toEqual(['gemini.files', 'gemini.files', 'gemini.files', 'gemini.files', 'gemini.generate', 'gemini.generate', 'gemini.generate', 'gemini.files']);
    for (const r of rows.filter((x) => x.api === 'gemini.files')) expect(r).toMatchObject({ provider: 'gemini', status: 200, outcome: 'ok', costPicos: 0n, unpriced: false });
    expect(rows[0]).toMatchObject({ keyId: h.key.id });
    expect(rows[0]!.responseId ?? null).toBeNull();
    expect(rows[1]).toMatchObject({ keyId: h.key.id, responseId: file.name });
    // Deleted: forgotten, for every key.
    await eventually(async () => expect(await h.tollgate.storage.objects.owners([file.name!])).toEqual(new Map()));
    await refusedUnsent(() => ai(h.key).files.get({ name: file.name! }));
  });

  it('refuses another team a file by every path and every part naming it, and lists each team its own', async () => {
    await start();
    const file = await upload(h.key);
    const bobs = await upload(bob, Buffer.from('bob'));
    await h.mark();
    const id = file.name!.slice('files/'.length);
    await refusedUnsent(() => ai(bob).files.get({ name: file.name! }));
    await refusedUnsent(() => ai(bob).files.delete({ name: file.name! }));
    for (const uri of [file.uri!, file.name!, `https://generativelanguage.googleapis.com/v1beta/files/${id}:download?alt=media`, `HTTPS://GenerativeLanguage.googleapis.com/v1beta/files/%${id.charCodeAt(0).toString(16)}${id.slice(1)}`]) {
      const err = await refusedUnsent(() => ask(bob, uri));
      expect(err.message).toContain(`No file with id '${file.name}' found`);
      expect(err.message).toContain('NOT_FOUND');
    }
    await refusedUnsent(() => ai(bob).models.countTokens({ model: 'gemini-2.5-flash', contents: [{ role: 'user', parts: [createPartFromUri(file.uri!, 'application/pdf')] }] }));
    await refusedUnsent(() => ai(bob).models.generateContentStream({ model: 'gemini-2.5-flash', contents: [{ role: 'user', parts: [createPartFromUri(file.uri!, 'application/pdf')] }] }));
    // The owner's own are accepted; each team lists its own.
    expect((await ask(bob, bobs.uri!)).text).toBeTruthy();
    const names = async (key: CreatedKey) => {
      const out: string[] = [];
      for await (const f of await ai(key).files.list()) out.push(f.name!);
      return out;
    };
    expect(await names(bob)).toEqual([bobs.name]);
    expect(await names(carol)).toEqual([file.name]);
    const refused = (await h.rows()).filter((r) => r.outcome === 'rejected');
    expect(refused).toHaveLength(8);
    for (const r of refused) expect(r).toMatchObject({ keyId: bob.id, status: 404, errorType: 'object_not_owned', costPicos: 0n });
  });

  it('takes an upload from a path, with the provider named in the base URL', async () => {
    await start();
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-gemini-'));
    writeFileSync(join(dir, 'notes.txt'), 'notes\n'.repeat(1000));
    const file = await ai(h.key, `${h.url}/p/gemini`).files.upload({ file: join(dir, 'notes.txt') });
    expect(file).toMatchObject({ mimeType: 'text/plain', sizeBytes: '6000' });
    expect(h.fake.requests.map((r) => r.route)).toEqual(['gemini.files.start', 'gemini.files.upload']);
    expect((await h.rows()).map((r) => [r.provider, r.responseId ?? null])).toEqual([
      ['gemini', null],
      ['gemini', file.name],
    ]);
    await refusedUnsent(() => ai(bob, `${h.url}/p/gemini`).files.get({ name: file.name! }));
  });

  it('streams the bytes sent to the upload URL given back, past max_body_mb, its first upstream before the client sent its last; a file past max_upload_mb gets 413, nothing sent', async () => {
    h = await startHarness({ storage, maxBodyBytes: 1 * MB, maxUploadBytes: 4 * MB });
    // Started with ?key= (a REST client): the URL given back is the gateway's, with the key, and is used as it is.
    const started = await startUpload(h.url, { query: h.key.key }, 3 * MB);
    expect(started.status).toBe(200);
    expect(started.url).toMatch(new RegExp(`^${h.url}/upload/v1beta/files\\?upload_id=[\\w-]+&upload_protocol=resumable&key=${h.key.key}$`));
    const bytes = randomBytes(3 * MB);
    const up = open(started.url!, { 'content-length': String(bytes.length), 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0' });
    await up.write(bytes.subarray(0, MB));
    const arrival = await eventually(() => {
      const a = h.fake.arrivals.find((x) => x.path.startsWith('/upload/v1beta/files?upload_id='));
      expect(a?.bytes).toBeGreaterThan(0);
      return a!;
    });
    // Held whole, nothing would have gone upstream yet: two thirds of the body are still to be sent.
    expect(arrival.ended).toBe(false);
    await up.write(bytes.subarray(MB));
    up.req.end();
    const a = await up.answer;
    expect(a.status).toBe(200);
    expect(a.headers['x-goog-upload-status']).toBe('final');
    const file = (JSON.parse(a.text) as { file: { name: string; sizeBytes: string } }).file;
    expect(file.sizeBytes).toBe(String(3 * MB));
    const sent = h.fake.requests.find((r) => r.route === 'gemini.files.upload')!;
    expect(sent.body.equals(bytes)).toBe(true);
    // The provider's key went in its header, never in the URL; the client's key never upstream.
    for (const r of h.fake.requests) {
      expect(r.query.key).toBeUndefined();
      expect(r.headers['x-goog-api-key']).toBe('gm-upstream');
    }
    expect((await h.rows()).at(-1)).toMatchObject({ keyId: h.key.id, api: 'gemini.files', status: 200, responseId: file.name });
    // A file past max_upload_mb is refused at its start, in chunks or not.
    const asked = h.fake.arrivals.length;
    const err = await upload(h.key, randomBytes(5 * MB)).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(413);
    expect((await startUpload(h.url, { header: h.key.key }, 5 * MB)).status).toBe(413);
    // A chunk that would take the file past it too, from its offset.
    const second = await startUpload(h.url, { header: h.key.key }, 3 * MB);
    expect(h.fake.arrivals.length).toBe(asked + 1);
    expect((await send(second.url!, randomBytes(3 * MB), 'upload', 0, { 'x-goog-api-key': h.key.key })).status).toBe(200);
    const over = await send(second.url!, randomBytes(2 * MB), 'upload, finalize', 3 * MB, { 'x-goog-api-key': h.key.key });
    expect(over.status).toBe(413);
    expect(JSON.parse(over.text)).toMatchObject({ error: { code: 413, status: 'INVALID_ARGUMENT' } });
    expect(h.fake.arrivals.length).toBe(asked + 2);
  });

  it('takes the bytes of an upload only from the key that started it', async () => {
    await start();
    const started = await startUpload(h.url, { header: h.key.key }, 1000);
    expect(started.url!.startsWith(`${h.url}/upload/v1beta/files?upload_id=`)).toBe(true);
    // The key went in a header: none is written into the URL.
    expect(new URL(started.url!).searchParams.has('key')).toBe(false);
    const bytes = randomBytes(1000);
    const asked = h.fake.arrivals.length;
    for (const key of [bob.key, carol.key, 'AIza-their-own-google-key']) {
      const a = await send(started.url!, bytes, 'upload, finalize', 0, { 'x-goog-api-key': key });
      expect(a.status).toBe(404);
      expect(JSON.parse(a.text)).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
    }
    // Without a key, as Google would take it: refused as any keyless request.
    expect((await send(started.url!, bytes, 'upload, finalize', 0)).status).toBe(401);
    expect(h.fake.arrivals.length).toBe(asked);
    const a = await send(started.url!, bytes, 'upload, finalize', 0, { 'x-goog-api-key': h.key.key });
    expect(a.status).toBe(200);
    const rows = (await h.rows()).filter((r) => r.outcome === 'rejected');
    // Rows are recorded as their requests end, and the caller's own key waits on a storage read: in any order.
    expect(rows.map((r) => [r.keyId === null ? null : r.keyId === h.key.id ? 'alice' : r.keyId === bob.id ? 'bob' : r.keyId === carol.id ? 'carol' : 'own', r.errorType])).toEqual(
      expect.arrayContaining([
        ['bob', 'object_not_owned'],
        ['carol', 'object_not_owned'],
        ['own', 'object_not_owned'],
        [null, 'missing_api_key'],
      ]),
    );
    expect(rows).toHaveLength(4);
    // Ended: its upload URL goes no further, even for its starter.
    expect((await send(started.url!, bytes, 'query', 0, { 'x-goog-api-key': h.key.key })).status).toBe(404);
  });

  it('gives an upload URL under the /p/{provider} it was started through, whose bytes go to that provider', async () => {
    h = await startHarness({ storage, providers: (url) => [...defaultProviders(url), { name: 'gemini-eu', dialect: 'gemini', baseUrl: url, apiKey: 'gm-eu', models: undefined, headers: {}, catalog: 'google' }] });
    const started = await startUpload(`${h.url}/p/gemini-eu`, { header: h.key.key }, 100);
    expect(started.url!.startsWith(`${h.url}/p/gemini-eu/upload/v1beta/files?upload_id=`)).toBe(true);
    expect((await send(started.url!, randomBytes(100), 'upload, finalize', 0, { 'x-goog-api-key': h.key.key })).status).toBe(200);
    // Through the SDK too, which keeps the upload URL's path.
    const file = await ai(h.key, `${h.url}/p/gemini-eu`).files.upload({ file: new Blob([PDF], { type: 'application/pdf' }) });
    expect(h.fake.requests.map((r) => [r.route, r.headers['x-goog-api-key']])).toEqual([
      ['gemini.files.start', 'gm-eu'],
      ['gemini.files.upload', 'gm-eu'],
      ['gemini.files.start', 'gm-eu'],
      ['gemini.files.upload', 'gm-eu'],
    ]);
    expect((await h.rows()).map((r) => r.provider)).toEqual(['gemini-eu', 'gemini-eu', 'gemini-eu', 'gemini-eu']);
    expect(file.name).toMatch(/^files\//);
  });

  it('pages a list past upstream pages that hold only the files of other teams', async () => {
    await start();
    const alices = await upload(h.key);
    const bobs = [];
    for (let i = 0; i < 3; i++) bobs.push((await upload(bob, Buffer.from(`bob ${i}`))).name);
    h.fake.reset();
    const names = async (key: CreatedKey) => {
      const out: string[] = [];
      for await (const f of await ai(key).files.list({ config: { pageSize: 2 } })) out.push(f.name!);
      return out;
    };
    // Newest first: the first upstream page is two of bob's, none of them alice's.
    expect(await names(h.key)).toEqual([alices.name]);
    expect(h.fake.requests.map((r) => r.query.pageToken ?? null)).toEqual([null, expect.any(String)]);
    expect(await names(bob)).toEqual(bobs.reverse());
  });

  it('gives no page token that leads only to the files of other teams, which the SDK pager would yield as an undefined file', async () => {
    await start();
    for (let i = 0; i < 3; i++) await upload(bob, Buffer.from(`bob ${i}`));
    const alices = await upload(h.key);
    h.fake.reset();
    const listed: unknown[] = [];
    // Newest first: the first upstream page is alice's and one of bob's, the second bob's two.
    for await (const f of await ai(h.key).files.list({ config: { pageSize: 2 } })) listed.push(f);
    expect(listed.map((f) => (f as { name?: string } | undefined)?.name)).toEqual([alices.name]);
    // The second page was read ahead, once, and its token not given.
    expect(h.fake.requests.map((r) => r.query.pageToken ?? null)).toEqual([null, expect.any(String)]);
  });

  it('forgets the owner of a file the provider no longer has once it answers 404 for it, not of one just made, and gives a name made again to its new uploader', async () => {
    await start();
    await h.tollgate.storage.objects.add([{ id: 'files/expired', api: 'gemini.files', keyId: h.key.id, team: 'platform', createdAt: Date.now() - 10 * 60_000 }]);
    await refusedUnsent(() => ai(bob).files.get({ name: 'files/expired' }));
    const err = await ai(h.key).files.get({ name: 'files/expired' }).then(() => undefined, (e: unknown) => e);
    expect((err as ApiError).status).toBe(404);
    await eventually(async () => expect(await h.tollgate.storage.objects.owners(['files/expired'])).toEqual(new Map()));
    // Named by its uploader, gone at the provider (expired after 48 hours), then made again under that name by another team.
    const first = await upload(h.key, PDF, { name: 'quarterly' });
    expect(first.name).toBe('files/quarterly');
    await fetch(`${h.fake.url}/v1beta/files/quarterly`, { method: 'DELETE' });
    await expect(ai(h.key).files.get({ name: 'files/quarterly' })).rejects.toBeInstanceOf(ApiError);
    // Just made: its owner is kept through the 404.
    await eventually(async () => expect((await h.tollgate.storage.objects.owners(['files/quarterly'])).get('files/quarterly')).toMatchObject({ keyId: h.key.id }));
    await upload(bob, Buffer.from('bob'), { name: 'quarterly' });
    expect(await ai(bob).files.get({ name: 'files/quarterly' })).toMatchObject({ sizeBytes: '3' });
    await refusedUnsent(() => ai(h.key).files.get({ name: 'files/quarterly' }));
    await eventually(async () => expect((await h.tollgate.storage.objects.owners(['files/quarterly'])).get('files/quarterly')).toEqual({ keyId: bob.id, team: 'data' }));
  });
});

describe('Gemini files under /v1 (apiVersion v1)', () => {
  it('reads, lists and deletes a file under /v1 as Gemini, its key in x-goog-api-key or ?key=, keeps it from another team, and leaves /v1/files to OpenAI clients', async () => {
    const h = await startHarness();
    try {
      const { bob } = await teamKeys(h);
      const v1 = (key: CreatedKey) => new GoogleGenAI({ apiKey: key.key, httpOptions: { baseUrl: h.url, apiVersion: 'v1' } });
      // The SDK uploads under /upload/v1beta whatever its version.
      const file = await v1(h.key).files.upload({ file: new Blob([PDF], { type: 'application/pdf' }), config: { displayName: 'report.pdf' } });
      expect(await v1(h.key).files.get({ name: file.name! })).toMatchObject({ name: file.name, sizeBytes: String(PDF.length) });
      const listed: string[] = [];
      for await (const f of await v1(h.key).files.list()) listed.push(f.name!);
      expect(listed).toEqual([file.name]);
      const byQuery = await fetch(`${h.url}/v1/${file.name}?key=${h.key.key}`);
      expect(byQuery.status).toBe(200);
      expect(await byQuery.json()).toMatchObject({ name: file.name });
      const asked = h.fake.arrivals.length;
      const err = await v1(bob).files.get({ name: file.name! }).then(() => undefined, (e: unknown) => e as ApiError);
      expect(err?.status).toBe(404);
      expect(err?.message).toContain('NOT_FOUND');
      expect(h.fake.arrivals.length).toBe(asked);
      await v1(h.key).files.delete({ name: file.name! });
      expect(h.fake.requests.filter((r) => r.path.startsWith('/v1/files')).map((r) => [r.route, r.path])).toEqual([
        ['gemini.files.get', `/v1/${file.name}`],
        ['gemini.files.list', '/v1/files'],
        ['gemini.files.get', `/v1/${file.name}`],
        ['gemini.files.delete', `/v1/${file.name}`],
      ]);
      const rows = (await h.rows()).filter((r) => r.api === 'gemini.files' && r.status === 200);
      expect(rows).toHaveLength(6);
      const openai = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
      const theirs = await openai.files.create({ file: await toFile(Buffer.from('{}\n'), 'requests.jsonl'), purpose: 'batch' });
      expect(await openai.files.retrieve(theirs.id)).toMatchObject({ id: theirs.id, purpose: 'batch' });
      expect(h.fake.requests.filter((r) => r.path.startsWith('/v1/files')).slice(4).map((r) => r.route)).toEqual(['openai.files.create', 'openai.files.retrieve']);
    } finally {
      await h.close();
    }
  });
});

describe('a Gemini upload through a gateway serving HTTPS', () => {
  it('gives an https upload URL, to which the bytes go', async () => {
    const tls = testCertificate('localhost');
    const h = await startHarness({ tls });
    const dispatcher = new Agent({ connect: { ca: readFileSync(tls.ca) } });
    try {
      const headers = { 'x-goog-api-key': h.key.key, 'x-goog-upload-protocol': 'resumable', 'x-goog-upload-command': 'start', 'x-goog-upload-header-content-length': '5' };
      const started = await undiciRequest(`${h.url}/upload/v1beta/files`, { method: 'POST', headers, body: '{"file":{}}', dispatcher });
      await started.body.text();
      const url = started.headers['x-goog-upload-url'] as string;
      expect(url.startsWith(`${h.url}/upload/v1beta/files?upload_id=`)).toBe(true);
      expect(h.url.startsWith('https://')).toBe(true);
      const sent = await undiciRequest(url, { method: 'POST', headers: { 'x-goog-api-key': h.key.key, 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0' }, body: 'hello', dispatcher });
      expect(sent.statusCode).toBe(200);
      expect(await sent.body.json()).toMatchObject({ file: { sizeBytes: '5' } });
    } finally {
      await dispatcher.close();
      await h.close();
    }
  });
});
