import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/index.js';
import { type Served, serve, tollgate } from './cli.js';

// server.max_upload_mb, read from the config file by the built CLI: a file upload is held to it, not to max_body_mb.
let fake: FakeUpstream;
let gw: Served;
let key: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-e2e-uploads-'));
  fake = await startFakeUpstream();
  const config = join(dir, 'tollgate.yaml');
  writeFileSync(config, `server: { max_body_mb: 1, max_upload_mb: 2 }\nstorage: { sqlite: ./data/tollgate.db }\nproviders:\n  - { name: openai, dialect: openai, base_url: "${fake.url}", api_key: sk-main, catalog: openai }\n`);
  const created = await tollgate(['keys', 'create', '--user', 'dana', '--team', 'infra', '--json', '--config', config], { cwd: dir });
  key = (JSON.parse(created.stdout) as { key: string }).key;
  gw = await serve(['--config', config], { cwd: dir, env: { TOLLGATE_ADMIN_TOKEN: '' } });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});

describe('server.max_upload_mb through the built CLI', () => {
  it('takes a 1.5 MB batch file past max_body_mb: 1, and refuses a 3 MB one by its declared length', async () => {
    const file = Buffer.alloc(1.5 * 1024 * 1024, 'x');
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    expect(await client.files.create({ file: await toFile(file, 'requests.jsonl'), purpose: 'batch' })).toMatchObject({ object: 'file', bytes: file.length });
    expect(fake.requests[0]!.body.includes(file)).toBe(true);

    const res = await request(`${gw.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'multipart/form-data; boundary=b' }, body: Buffer.alloc(3 * 1024 * 1024) });
    expect(res.statusCode).toBe(413);
    expect(((await res.body.json()) as { error: { message: string } }).error.message).toBe("The request body is larger than this gateway's limit of 2 MB (server.max_upload_mb).");
    expect(fake.requests).toHaveLength(1);
  });
});
