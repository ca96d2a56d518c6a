import { type Socket, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codexProvider, runCodexOk } from '../support/agent-run.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * The Codex CLI the tests run waits on nothing outside this machine: a proxy that notes where each
 * connection is going and never answers (a network where OpenAI's hosts do not answer) stands in for
 * the internet. Codex's own metrics, sent to ab.chatgpt.com as it exits, held its exit 10 s there.
 */
describe('the Codex CLI of the tests', () => {
  let h: Harness;
  const asked: string[] = [];
  const held: Socket[] = [];
  const proxy = createServer((c) => {
    held.push(c);
    c.on('error', () => undefined);
    c.once('data', (b: Buffer) => asked.push(b.toString('latin1').split('\r\n')[0] ?? ''));
  });
  beforeAll(async () => {
    h = await startHarness();
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    for (const c of held) c.destroy();
    await new Promise((r) => proxy.close(r));
    await h.close();
  });

  it('sends no metrics of its own to OpenAI, so its exit waits on no host outside', async () => {
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const env = { HTTPS_PROXY: url, HTTP_PROXY: url, https_proxy: url, http_proxy: url };
    const { stdout } = await runCodexOk({ dir: h.dir, name: 'codex-home-offline', config: ['model = "gpt-5"', ...codexProvider(h.url)], key: h.key.key, env });
    expect(stdout).toContain('This is a scripted reply from the fake upstream.');
    expect(asked.filter((line) => line.includes('ab.chatgpt.com'))).toEqual([]);
  });
});
