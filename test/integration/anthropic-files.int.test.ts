import Anthropic, { toFile } from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';

/** Anthropic's Files API (beta) through the SDK: served as free rows, uploads and downloads byte for byte. */
describe('Anthropic Files API through the Anthropic SDK', () => {
  const h = useHarness();
  const client = () => new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });

  it('upload, list, metadata, download and delete reach Anthropic, never OpenAI’s Files API, each a free row', async () => {
    const content = Buffer.from('a document to cite\n'.repeat(200));
    const uploaded = await client().beta.files.upload({ file: await toFile(content, 'notes.txt', { type: 'text/plain' }) });
    expect(uploaded).toMatchObject({ type: 'file', filename: 'notes.txt', size_bytes: content.length });
    const up = h.fake.requests.find((r) => r.route === 'anthropic.files.upload')!;
    // Forwarded as it came: the multipart body, with the provider's key in place of the Tollgate key.
    expect(up.body.includes(content)).toBe(true);
    expect(up.headers['x-api-key']).toBe('sk-ant-upstream');
    expect(up.headers['anthropic-version']).toBeDefined();
    const listed = [];
    for await (const f of client().beta.files.list()) listed.push(f.id);
    expect(listed).toContain(uploaded.id);
    expect(await client().beta.files.retrieveMetadata(uploaded.id)).toMatchObject({ id: uploaded.id });
    const downloaded = Buffer.from(await (await client().beta.files.download(uploaded.id)).arrayBuffer());
    expect(downloaded.equals(content)).toBe(true);
    expect(await client().beta.files.delete(uploaded.id)).toMatchObject({ id: uploaded.id, type: 'file_deleted' });
    const rows = await h.rows();
    expect(rows.map((r) => r.api)).toEqual(['anthropic.files', 'anthropic.files', 'anthropic.files', 'anthropic.file_content', 'anthropic.files']);
    for (const r of rows) expect(r).toMatchObject({ provider: 'anthropic', costPicos: 0n, status: 200, outcome: 'ok', user: 'alice' });
  });
});
