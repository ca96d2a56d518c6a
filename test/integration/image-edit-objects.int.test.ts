import OpenAI, { toFile } from 'openai';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { CreatedKey } from '../../src/identity/key-service.js';
import { type Harness, startHarness } from '../support/harness.js';
import { teamKeys } from '../support/team-storage.js';

/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==', 'base64');

/**
 * An image edit sent as JSON names its images and mask by `file_id` (OpenAI's EditImageBodyJsonParam):
 * those files are checked as any other file a request names (auth.stored_objects: team). alice
 * (team platform) uploads; carol (platform) may edit it; bob (team data) is told it does not exist.
 */
describe('an image edit sent as JSON, naming uploaded files', () => {
  let h: Harness;
  let carol: CreatedKey;
  let bob: CreatedKey;
  afterEach(() => h.close());

  const edit = (key: CreatedKey, body: Record<string, unknown>, gzip = false) =>
    fetch(`${h.url}/v1/images/edits`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
      body: gzip ? gzipSync(JSON.stringify(body)) : JSON.stringify(body),
    });
  const edits = () => h.fake.requests.filter((r) => r.path === '/v1/images/edits').length;

  it('refuses another team a file given as an image or as the mask, with the provider not-found and nothing upstream, and lets the same team in', async () => {
    h = await startHarness({ auth: { storedObjects: 'team' } });
    ({ carol, bob } = await teamKeys(h));
    const openai = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const file = await openai.files.create({ file: await toFile(PNG, 'door.png', { type: 'image/png' }), purpose: 'vision' });
    const base = { model: 'gpt-image-1', prompt: 'Paint the door red' };
    for (const [body, gzip] of [
      [{ ...base, images: [{ image_url: 'https://example.com/a.png' }, { file_id: file.id }] }, false],
      [{ ...base, images: [{ image_url: 'https://example.com/a.png' }], mask: { file_id: file.id } }, false],
      [{ ...base, images: [{ file_id: file.id }] }, true],
    ] as const) {
      const r = await edit(bob, body, gzip);
      expect(r.status).toBe(404);
      expect(((await r.json()) as { error: unknown }).error).toMatchObject({ type: 'invalid_request_error', code: 'object_not_owned', message: expect.stringContaining(file.id) as unknown });
    }
    expect(edits()).toBe(0);
    const ok = await edit(carol, { ...base, images: [{ file_id: file.id }], mask: { file_id: file.id } });
    expect(ok.status).toBe(200);
    expect(edits()).toBe(1);
    // An edit naming no stored file goes as ever.
    expect((await edit(bob, { ...base, images: [{ image_url: 'https://example.com/a.png' }] })).status).toBe(200);
    const refused = (await h.rows()).filter((r) => r.status === 404);
    expect(refused).toHaveLength(3);
    for (const r of refused) expect(r).toMatchObject({ keyId: bob.id, api: 'openai.images', outcome: 'rejected', errorType: 'object_not_owned' });
  });

  it('refuses a batch whose input file edits another team image, naming the line', async () => {
    h = await startHarness({ auth: { storedObjects: 'team' } });
    ({ bob } = await teamKeys(h));
    const alice = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const theirs = await alice.files.create({ file: await toFile(PNG, 'door.png', { type: 'image/png' }), purpose: 'vision' });
    const bobs = new OpenAI({ apiKey: bob.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const line = JSON.stringify({ custom_id: 'edit-1', method: 'POST', url: '/v1/images/edits', body: { model: 'gpt-image-1', prompt: 'Red door', images: [{ file_id: theirs.id }] } }) + '\n';
    const input = await bobs.files.create({ file: await toFile(Buffer.from(line), 'edits.jsonl'), purpose: 'batch' });
    const err = (await bobs.batches.create({ input_file_id: input.id, endpoint: '/v1/images/edits', completion_window: '24h' }).then(() => undefined, (e: unknown) => e)) as { status: number; error: { code: string; message: string } };
    expect(err.status).toBe(404);
    expect(err.error).toMatchObject({ code: 'object_not_owned', message: expect.stringContaining('line 1') as unknown });
  });
});
