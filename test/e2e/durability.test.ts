import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/index.js';
import { serve, tollgate } from './cli.js';

let fake: FakeUpstream;
let dir: string;
let config: string;

beforeAll(async () => {
  fake = await startFakeUpstream({ record: false });
  fake.setDefault({ usage: { input: 100, output: 20 }, chunks: 6, chunkDelayMs: 2 });
  dir = mkdtempSync(join(tmpdir(), 'tollgate-kill-'));
  config = join(dir, 'tollgate.yaml');
  writeFileSync(config, `providers:\n  - { name: openai, dialect: openai, base_url: "${fake.url}", api_key: sk-fake }\n`);
});
afterAll(() => fake.close());

describe('durability', () => {
  it('every response a client received completely is in the ledger after a kill -9 under load', async () => {
    const key = (JSON.parse((await tollgate(['keys', 'create', '--user', 'load', '--json', '--config', config], { cwd: dir })).stdout) as { key: string }).key;
    const gw = await serve(['--config', config], { cwd: dir });
    const agent = new Agent({ connections: 64 });
    const completed = new Set<string>();
    let started = 0;
    let killed = false;

    const one = async (i: number) => {
      const stream = i % 2 === 0;
      try {
        const res = await request(`${gw.url}/v1/chat/completions`, {
          method: 'POST',
          dispatcher: agent,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-5', stream, messages: [{ role: 'user', content: `request ${i}` }] }),
        });
        await res.body.text(); // resolves only when the whole response arrived
        if (res.statusCode === 200) completed.add(String(res.headers['x-tollgate-request-id']));
      } catch {
        // Cut by the kill: the client never got a complete response, so no row is promised.
      }
    };
    // 32 workers keep requests in flight until the gateway dies.
    const workers = Array.from({ length: 32 }, async () => {
      while (!killed) await one(started++);
    });
    while (completed.size < 400) await new Promise((r) => setTimeout(r, 10));
    const exited = gw.stop('SIGKILL');
    killed = true;
    await Promise.all(workers);
    await agent.close();
    await exited;

    // The next start replays the dead process's spool into storage.
    const again = await serve(['--config', config], { cwd: dir });
    await again.stop();
    const exported = await tollgate(['export', '--format', 'jsonl', '--config', config], { cwd: dir });
    const rows = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; outcome: string });
    const ids = new Set(rows.map((r) => r.id));
    const missing = [...completed].filter((id) => !ids.has(id));
    expect(completed.size).toBeGreaterThanOrEqual(400);
    expect(missing).toEqual([]);
    // Requests in flight at the kill may or may not have rows, but never more than one each.
    expect(rows.length).toBe(ids.size);
    expect(rows.length).toBeLessThanOrEqual(started);
  });
});

describe('requests in flight at a kill -9', () => {
  it('are recorded at the next start as truncated by the crash, their input estimated, each once', async () => {
    const slow = await startFakeUpstream({ record: false });
    // Each stream sends its first chunk at once, then one a second: open well past the gateway's 200 ms journal sweep.
    slow.setDefault({ usage: { input: 900, output: 40 }, chunks: 10, chunkDelayMs: 1000 });
    const home = mkdtempSync(join(tmpdir(), 'tollgate-inflight-'));
    const file = join(home, 'tollgate.yaml');
    writeFileSync(file, `providers:\n  - { name: openai, dialect: openai, base_url: "${slow.url}", api_key: sk-fake, catalog: openai }\n  - { name: anthropic, dialect: anthropic, base_url: "${slow.url}", api_key: sk-ant-fake, catalog: anthropic }\n`);
    try {
      const key = (JSON.parse((await tollgate(['keys', 'create', '--user', 'streamer', '--json', '--config', file], { cwd: home })).stdout) as { key: string }).key;
      const gw = await serve(['--config', file], { cwd: home });
      const agent = new Agent({ connections: 8 });
      const open = await Promise.all(
        Array.from({ length: 6 }, async (_, i) => {
          const res = await request(`${gw.url}/v1/chat/completions`, {
            method: 'POST',
            dispatcher: agent,
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: `a long question ${i} `.repeat(200) }] }),
          });
          res.body.on('error', () => undefined);
          res.body.resume();
          return String(res.headers['x-tollgate-request-id']);
        }),
      );
      // Anthropic reports a stream's input at message_start: its row takes that, not an estimate.
      const anthropic = await Promise.all(
        Array.from({ length: 2 }, async (_, i) => {
          const res = await request(`${gw.url}/v1/messages`, {
            method: 'POST',
            dispatcher: agent,
            headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 100, stream: true, messages: [{ role: 'user', content: `question ${i}` }] }),
          });
          res.body.on('error', () => undefined);
          res.body.resume();
          return String(res.headers['x-tollgate-request-id']);
        }),
      );
      // Past the second chunk (at 1 s) and the journal's refresh of a row whose text grew (every second).
      await new Promise((r) => setTimeout(r, 2500));
      await gw.stop('SIGKILL');
      await agent.destroy();

      const again = await serve(['--config', file], { cwd: home });
      await again.stop();
      expect(again.stdout() + again.stderr()).toContain('recorded 8 request(s) an earlier process was serving when it died');
      const exported = await tollgate(['export', '--format', 'jsonl', '--config', file], { cwd: home });
      const all = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(all.map((r) => r.id).sort()).toEqual([...open, ...anthropic].sort());
      const rows = all.filter((r) => r.provider === 'openai');
      for (const row of all) {
        // Open until the kill, about 2.5 s after they began (the journal's file was touched at each sweep).
        expect(row.latency_ms).toBeGreaterThan(2200);
        expect(row).toMatchObject({ outcome: 'truncated', error_type: 'gateway_crashed', status: 200 });
      }
      for (const row of all.filter((r) => r.provider === 'anthropic')) {
        expect(row).toMatchObject({ user: 'streamer', input_tokens: 900, usage_source: 'partial' });
        expect(Number(row.cost_usd)).toBeGreaterThan(0);
      }
      for (const row of rows) {
        expect(row).toMatchObject({ user: 'streamer', model: 'gpt-4o', status: 200, outcome: 'truncated', error_type: 'gateway_crashed', usage_source: 'estimated' });
        expect(row.input_tokens).toBeGreaterThan(500);
        // The text streamed before the kill was billed: some of the 40 output tokens the whole answer has.
        expect(row.output_tokens).toBeGreaterThan(0);
        expect(row.output_tokens).toBeLessThan(40);
        expect(Number(row.cost_usd)).toBeGreaterThan(0);
        expect(row.upstream_request_id).toEqual(expect.any(String));
      }
    } finally {
      await slow.close();
    }
  });
});

describe('a spool folder removed under a running gateway', () => {
  it('is made again with the rows not yet in storage: after a kill -9 each completed response has its own row, once', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tollgate-spool-rm-'));
    const file = join(home, 'tollgate.yaml');
    writeFileSync(file, `providers:\n  - { name: openai, dialect: openai, base_url: "${fake.url}", api_key: sk-fake }\nstorage: { sqlite: ${join(home, 'ledger', 'tollgate.db')}, spool_dir: ${join(home, 'spool')} }\n`);
    const key = (JSON.parse((await tollgate(['keys', 'create', '--user', 'load', '--json', '--config', file], { cwd: home })).stdout) as { key: string }).key;
    const gw = await serve(['--config', file], { cwd: home });
    const agent = new Agent({ connections: 32 });
    const completed = new Set<string>();
    let killed = false;
    let started = 0;
    const one = async (i: number) => {
      try {
        const res = await request(`${gw.url}/v1/chat/completions`, {
          method: 'POST',
          dispatcher: agent,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-5', stream: i % 2 === 0, messages: [{ role: 'user', content: `request ${i}` }] }),
        });
        await res.body.text();
        if (res.statusCode === 200) completed.add(String(res.headers['x-tollgate-request-id']));
      } catch {
        // Cut by the kill.
      }
    };
    const workers = Array.from({ length: 32 }, async () => {
      while (!killed) await one(started++);
    });
    while (completed.size < 100) await new Promise((r) => setTimeout(r, 10));
    rmSync(join(home, 'spool'), { recursive: true, force: true });
    // Past the check of the spool's file (every second), under load.
    await new Promise((r) => setTimeout(r, 2000));
    const exited = gw.stop('SIGKILL');
    killed = true;
    await Promise.all(workers);
    await agent.close();
    await exited;
    const kept = readdirSync(join(home, 'spool')).some((n) => n.startsWith('spool-'));

    const again = await serve(['--config', file], { cwd: home });
    await again.stop();
    const exported = await tollgate(['export', '--format', 'jsonl', '--config', file], { cwd: home });
    const rows = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; outcome: string });
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(rows.length).toBe(byId.size);
    // Not lost, and not recorded as cut by the crash from the journal of requests in flight.
    expect([...completed].filter((id) => byId.get(id)?.outcome !== 'ok')).toEqual([]);
    expect(kept).toBe(true);
    expect(gw.stderr()).toMatch(/the spool file .*spool-\d+-.* was deleted while the gateway runs: made it again as .*spool-\d+-.*, with the rows not yet in storage/);
  });
});
