import { createHash, randomBytes } from 'node:crypto';
import { type IncomingMessage, request } from 'node:http';
import OpenAI, { BadRequestError, NotFoundError, toFile } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { CreatedKey } from '../../src/identity/key-service.js';
import type { Storage } from '../../src/storage/ports.js';
import { type Harness, eventually, startHarness } from '../support/harness.js';
import { harnessEngines, teamKeys } from '../support/team-storage.js';

const MB = 1024 * 1024;
const BOUNDARY = '----tollgate-container-7MA4YWxkTrZu0gW';
const FORM = `multipart/form-data; boundary=${BOUNDARY}`;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A multipart/form-data body: the text fields, then the file, as the SDK makes one. */
function form(fields: Record<string, string>, file: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) parts.push(Buffer.from(`--${BOUNDARY}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  parts.push(Buffer.from(`--${BOUNDARY}\r\ncontent-disposition: form-data; name="file"; filename="big.bin"\r\ncontent-type: application/octet-stream\r\n\r\n`), file, Buffer.from(`\r\n--${BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

/**
 * A file uploaded into an OpenAI container (`containers.files.create` with `file`) is streamed to the
 * provider as it arrives, under server.max_upload_mb, as a Files API upload is; a form with a part
 * other than `file` (a `file_id`, which would copy a stored file in unchecked) is cut off and refused.
 */
describe.each(harnessEngines('container_uploads'))('container file uploads (%s)', (_, storage: (() => Promise<Storage>) | undefined) => {
  let h: Harness;
  let bob: CreatedKey;
  afterEach(() => h.close());
  const start = async () => {
    h = await startHarness({ storage, maxBodyBytes: 1 * MB, maxUploadBytes: 8 * MB });
    ({ bob } = await teamKeys(h));
  };
  const openai = (key: CreatedKey) => new OpenAI({ apiKey: key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  const open = (key: CreatedKey, path: string, headers: Record<string, string>) => {
    const req = request(`${h.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key.key}`, 'content-type': FORM, ...headers } });
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
    });
    req.flushHeaders();
    const write = (b: Buffer) => new Promise<void>((resolve, reject) => req.write(b, (err) => (err ? reject(err) : resolve())));
    return { req, answer, write };
  };

  it('streams an upload past max_body_mb into the container, its first bytes upstream before the client sent its last', async () => {
    await start();
    const c = await openai(h.key).containers.create({ name: 'uploads' });
    const path = `/v1/containers/${c.id}/files`;
    const file = randomBytes(3 * MB);
    const body = form({}, file);
    const up = open(h.key, path, { 'content-length': String(body.length) });
    await up.write(body.subarray(0, MB));
    const arrival = await eventually(() => {
      const a = h.fake.arrivals.find((x) => x.path === path);
      expect(a?.bytes).toBeGreaterThan(0);
      return a!;
    });
    // Held whole, nothing would have gone upstream yet: two thirds of the body are still to be sent.
    expect(arrival.ended).toBe(false);
    await up.write(body.subarray(MB));
    up.req.end();
    const a = await up.answer;
    expect(a.status).toBe(200);
    expect(JSON.parse(a.text)).toMatchObject({ object: 'container.file', container_id: c.id, bytes: file.length, path: '/mnt/data/big.bin' });
    const rec = h.fake.requests.find((r) => r.path === path)!;
    expect(sha256(rec.body)).toBe(sha256(body));
    expect(rec.headers.authorization).toBe('Bearer sk-upstream-openai');
    expect(a.text).toBe(rec.sent.toString('utf8'));
    // The file is the container owner's; its content comes back through the gateway.
    const id = (JSON.parse(a.text) as { id: string }).id;
    const content = Buffer.from(await (await openai(h.key).containers.files.content.retrieve(id, { container_id: c.id })).arrayBuffer());
    expect(sha256(content)).toBe(sha256(file));
    const rows = await h.rows();
    expect(rows.find((r) => r.api === 'openai.container_files')).toMatchObject({ keyId: h.key.id, status: 200, outcome: 'ok', costPicos: 0n, responseId: id });
    // Another team's upload into it goes nowhere.
    const asked = h.fake.arrivals.length;
    const theirs = open(bob, path, { 'content-length': String(body.length) });
    await theirs.write(body).catch(() => undefined);
    theirs.req.end();
    expect(await theirs.answer).toMatchObject({ status: 404 });
    expect(h.fake.arrivals.length).toBe(asked);
  });

  it('refuses a form that names a stored file, its file_id part never reaching the provider, and the SDK sending both', async () => {
    await start();
    const c = await openai(bob).containers.create({ name: 'bob' });
    const stored = await openai(h.key).files.create({ file: await toFile(Buffer.from('alice,secret\n'), 'secret.csv'), purpose: 'user_data' });
    const path = `/v1/containers/${c.id}/files`;
    // Bob names alice's file in a form rather than in JSON, after a file of his own.
    const body = Buffer.concat([form({}, randomBytes(256 * 1024)).subarray(0, -`--${BOUNDARY}--\r\n`.length), Buffer.from(`--${BOUNDARY}\r\ncontent-disposition: form-data; name="file_id"\r\n\r\n${stored.id}\r\n--${BOUNDARY}--\r\n`)]);
    const up = open(bob, path, { 'content-length': String(body.length) });
    await up.write(body).catch(() => undefined);
    up.req.end();
    const a = await up.answer;
    expect(a.status).toBe(400);
    expect(JSON.parse(a.text).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request' });
    expect(JSON.parse(a.text).error.message).toContain('a part named "file_id"');
    await eventually(() => expect(h.fake.arrivals.find((x) => x.path === path)?.aborted).toBe(true));
    expect(h.fake.requests.filter((r) => r.path === path)).toEqual([]);
    expect((await h.rows()).find((r) => r.api === 'openai.container_files')).toMatchObject({ keyId: bob.id, status: 400, outcome: 'rejected', errorType: 'invalid_request' });
    // Through the SDK: a file and a file_id at once make a form, refused the same way.
    const err = await openai(bob)
      .containers.files.create(c.id, { file: await toFile(Buffer.from('x'), 'x.txt'), file_id: stored.id })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    // In JSON it is checked as the file it names.
    await expect(openai(bob).containers.files.create(c.id, { file_id: stored.id })).rejects.toBeInstanceOf(NotFoundError);
    expect(h.fake.requests.filter((r) => r.path === path)).toEqual([]);
  });
});
