import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScope } from '../../src/policy/scope.js';
import { parseWindow } from '../../src/policy/window.js';
import { claudeRowId } from '../../src/importers/claude-code/adapter.js';
import { quickImport } from '../../src/importers/quick-check.js';
import { generateCorpus } from '../../src/importers/testing/corpus.js';
import { toJsonLine } from '../../src/reports/export.js';
import { runReport } from '../../src/reports/report.js';
import { sampleRow } from '../../src/storage/testing/rows.js';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { createdAt, openDb } from '../../src/storage/sqlite/db.js';
import { openSqlite } from '../../src/storage/sqlite/sqlite-storage.js';
import { startHarness } from '../support/harness.js';
import { TEST_PG_URL, dropSchemas } from '../../src/storage/testing/postgres.js';
import { cliWithEnv } from '../support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'tollgate-import-'));
const corpus = generateCorpus({ out: join(work, 'corpus'), mb: 3, codexMb: 0.5, seed: 7 });
process.env.TOLLGATE_STATE_DIR = join(work, 'state');

const cli = cliWithEnv;

async function ledgerTotals(db: string) {
  const s = openSqlite(db);
  try {
    const r = await runReport(s.ledger, { since: 0, by: ['client'] });
    return Object.fromEntries(r.rows.map((x) => [x.keys[0], { requests: x.requests, input: x.inputTokens - x.cacheReadTokens - x.cacheWriteTokens, output: x.outputTokens, cacheWrite: x.cacheWriteTokens, cacheRead: x.cacheReadTokens, cost: x.costPicos }]));
  } finally {
    await s.close();
  }
}

/** The real ccusage (the Rust build shipped through npm), offline, on the same files. */
function ccusage(args: string[], env: Record<string, string>) {
  const r = spawnSync(join(process.cwd(), 'node_modules', '.bin', 'ccusage'), [...args, '--json', '-O'], { env: { ...process.env, ...env, LOG_LEVEL: '0' }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ccusage failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { totals: Record<string, number> }).totals;
}

describe('tollgate import (SQLite)', () => {
  const db = join(work, 'ledger.db');
  const base = ['import', '--db', db, '--source', 'claude-code', '--dir', corpus.claudeDir, '--json'];

  it('imports a corpus with exactly the ground truth totals, and the same totals and cost as ccusage', async () => {
    const first = await cli(base);
    expect(first.code, first.err).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({ filesRead: corpus.files - countCodexFiles(), written: corpus.expected.claude.responses });
    const codex = await cli(['import', '--db', db, '--source', 'codex', '--dir', corpus.codexDir, '--json']);
    expect(codex.code, codex.err).toBe(0);

    const got = await ledgerTotals(db);
    const want = corpus.expected.claude;
    expect(got['claude-code']).toMatchObject({ requests: want.responses, input: want.input, output: want.output, cacheWrite: want.cacheCreate, cacheRead: want.cacheRead });
    const wantCodex = corpus.expected.codex;
    expect(got.codex).toMatchObject({ requests: wantCodex.responses, input: wantCodex.input - wantCodex.cacheRead, output: wantCodex.output, cacheRead: wantCodex.cacheRead });

    const cc = ccusage(['claude', 'daily'], { CLAUDE_CONFIG_DIR: corpus.claudeDir });
    expect({ input: cc.inputTokens, output: cc.outputTokens, cacheWrite: cc.cacheCreationTokens, cacheRead: cc.cacheReadTokens }).toEqual({ input: want.input, output: want.output, cacheWrite: want.cacheCreate, cacheRead: want.cacheRead });
    // Same prices for these models in both catalogs: the costs agree to a micro-dollar (ccusage sums doubles).
    expect(Math.abs(cc.totalCost! * 1e6 - Number(got['claude-code']!.cost) / 1e6)).toBeLessThan(1);
    const ccx = ccusage(['codex', 'daily'], { CODEX_HOME: corpus.codexDir });
    expect({ input: ccx.inputTokens, output: ccx.outputTokens, cacheRead: ccx.cacheReadTokens }).toEqual({ input: wantCodex.input - wantCodex.cacheRead, output: wantCodex.output, cacheRead: wantCodex.cacheRead });
  });

  it('answers a no-change re-run from file stats alone, and the full command agrees', async () => {
    let out = '';
    expect(quickImport(base.slice(1), process.env, (t) => (out += t))).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ filesRead: 0, written: 0 });
    const again = await cli(base);
    expect(JSON.parse(again.out)).toMatchObject({ filesRead: 0, bytesRead: 0, written: 0 });
    // Anything the quick parser does not know goes the full way.
    expect(quickImport([...base.slice(1), '--dry-run'], process.env, () => undefined)).toBeUndefined();
  });

  it('reads only the appended lines, and a response whose final usage comes later replaces its partial row', async () => {
    const before = await ledgerTotals(db);
    const file = join(corpus.claudeDir, 'projects', readdirSync(join(corpus.claudeDir, 'projects'))[0]!, 'appended.jsonl');
    const line = (out: number) =>
      JSON.stringify({ cwd: '/home/dev/work/project-1', sessionId: 's-app', version: '2.1.114', requestId: 'req_late', type: 'assistant', timestamp: '2026-11-01T10:00:00.000Z', message: { id: 'msg_late', model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 10, output_tokens: out, cache_read_input_tokens: 1000, cache_creation_input_tokens: 0 } } }) + '\n';
    writeFileSync(file, line(1));
    expect(quickImport(base.slice(1), process.env, () => undefined)).toBeUndefined();
    const partial = JSON.parse((await cli(base)).out) as { filesRead: number; bytesRead: number };
    expect(partial).toMatchObject({ filesRead: 1, bytesRead: line(1).length });
    appendFileSync(file, line(400));
    expect(JSON.parse((await cli(base)).out)).toMatchObject({ filesRead: 1, bytesRead: line(400).length, written: 1 });
    const after = await ledgerTotals(db);
    expect(after['claude-code']!.requests).toBe(before['claude-code']!.requests + 1);
    expect(after['claude-code']!.output).toBe(before['claude-code']!.output + 400);
  });

  it('starts over when the database was replaced, without double counting', async () => {
    const fresh = join(work, 'fresh.db');
    const args = ['import', '--db', fresh, '--source', 'claude-code', '--dir', corpus.claudeDir, '--json'];
    expect((await cli(args)).code).toBe(0);
    rmSync(fresh);
    for (const ext of ['-wal', '-shm']) rmSync(fresh + ext, { force: true });
    expect(quickImport(args.slice(1), process.env, () => undefined)).toBeUndefined();
    expect(JSON.parse((await cli(args)).out)).toMatchObject({ written: corpus.expected.claude.responses + 1 });
    expect(JSON.parse((await cli([...args, '--full'])).out)).toMatchObject({ written: 0 });
    expect((await ledgerTotals(fresh))['claude-code']!.requests).toBe(corpus.expected.claude.responses + 1);
  });

  it('starts over when the database was made again with the same inode, by its birth time or by the time inside it', async () => {
    const db = join(work, 'in-place.db');
    const statePath = join(work, 'in-place-state.json');
    const args = ['import', '--db', db, '--source', 'claude-code', '--dir', corpus.claudeDir, '--json', '--state', statePath];
    expect((await cli(args)).code).toBe(0);
    // A birth time that differs (a file deleted and made again where the file system keeps one): the quick check goes the full way.
    const saved = JSON.parse(readFileSync(statePath, 'utf8')) as { targetBirthMs: number; targetId: string };
    expect(saved.targetId).toMatch(/^\d+$/);
    writeFileSync(statePath, JSON.stringify({ ...saved, targetBirthMs: saved.targetBirthMs + 1 }));
    expect(quickImport(args.slice(1), process.env, () => undefined)).toBeUndefined();
    const again = JSON.parse((await cli(args)).out) as { written: number; filesRead: number; filesSeen: number };
    expect(again).toMatchObject({ written: 0, filesRead: again.filesSeen });
    // A database made again in place whose file system keeps no birth time: the time inside it differs, found when a log changes.
    const other = join(work, 'other.db');
    openDb(other).close();
    expect(createdAt(other)).not.toBe(createdAt(db));
    expect(createdAt(db)).toBe(saved.targetId);
    const now = JSON.parse(readFileSync(statePath, 'utf8')) as object;
    writeFileSync(statePath, JSON.stringify({ ...now, targetId: createdAt(other) }));
    expect(quickImport(args.slice(1), process.env, () => undefined)).toBe(0);
    const log = join(corpus.claudeDir, 'projects', readdirSync(join(corpus.claudeDir, 'projects'))[0]!, 'in-place.jsonl');
    writeFileSync(log, JSON.stringify({ cwd: '/p', sessionId: 's-ip', requestId: 'req_ip', type: 'assistant', timestamp: '2026-11-02T10:00:00.000Z', message: { id: 'msg_ip', model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 1, output_tokens: 1 } } }) + '\n');
    const last = await cli(args);
    expect(last.code, last.err).toBe(0);
    const after = JSON.parse(last.out) as { written: number; filesRead: number; filesSeen: number };
    expect(after).toMatchObject({ filesRead: after.filesSeen });
    expect(after.written).toBe(1); // read again from the start; this database already held the rest
  });

  it('says per source how many rows it wrote, when the gateway already recorded some of the requests', async () => {
    const db = join(work, 'summary.db');
    const ts = Date.parse('2026-11-03T10:00:00.000Z');
    const s = openSqlite(db);
    await s.ledger.insert([1, 2].map((i) => sampleRow({ id: `gw-${i}`, ts, upstreamRequestId: `req_s${i}`, sessionId: 's-sum' })));
    await s.close();
    const dir = join(work, 'summary-logs');
    mkdirSync(join(dir, 'projects', '-p'), { recursive: true });
    const entry = (i: number) => JSON.stringify({ cwd: '/p', sessionId: 's-sum', requestId: `req_s${i}`, type: 'assistant', timestamp: new Date(ts + 1000).toISOString(), message: { id: `msg_s${i}`, model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 10, output_tokens: 10 } } });
    writeFileSync(join(dir, 'projects', '-p', 's.jsonl'), [1, 2, 3].map(entry).join('\n') + '\n');
    const args = ['import', '--db', db, '--source', 'claude-code', '--dir', dir, '--state', join(dir, 'state.json'), '--no-progress'];
    const r = await cli([...args, '--json']);
    expect(JSON.parse(r.out)).toMatchObject({ written: 1, sources: { 'claude-code-log': { rows: 3, written: 1 } } });
    const text = await cli([...args, '--full']);
    expect(text.out).toMatch(/\n {2}claude-code-log: 3 responses read, 30 output tokens, \$[\d.]+; 0 written \(3 already recorded, by this import or another source\)\nWrote 0 rows\.\n$/);
  });

  it('removes nothing on a first import where a progress-wrapped sidechain copy gave way to its parent, and keeps the parent', async () => {
    const dir = join(work, 'prog-logs');
    mkdirSync(join(dir, 'projects', '-p'), { recursive: true });
    const message = { id: 'msg_prog1', model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 10, output_tokens: 10 } };
    const progress = { type: 'progress', cwd: '/p', sessionId: 's-prog', timestamp: '2026-11-03T10:00:01.000Z', data: { message: { timestamp: '2026-11-03T10:00:01.000Z', requestId: 'req_prog1', isSidechain: true, message } } };
    const parent = { type: 'assistant', cwd: '/p', sessionId: 's-prog', timestamp: '2026-11-03T10:00:02.000Z', requestId: 'req_prog2', message };
    writeFileSync(join(dir, 'projects', '-p', 's.jsonl'), [progress, parent].map((l) => JSON.stringify(l) + '\n').join(''));
    const args = (db: string) => ['import', '--db', join(work, db), '--source', 'claude-code', '--dir', dir, '--state', join(work, `${db}.state.json`), '--no-progress'];
    expect(JSON.parse((await cli([...args('prog-a.db'), '--json'])).out)).toMatchObject({ written: 1, removed: 0 });
    expect((await cli(args('prog-b.db'))).out).toMatch(/\nWrote 1 row\.\n$/);
    const s = openSqlite(join(work, 'prog-b.db'));
    try {
      expect((await runReport(s.ledger, { since: 0, by: ['client'] })).rows.map((r) => r.requests)).toEqual([1]);
      expect((await s.ledger.get(claudeRowId('msg_prog1', 'req_prog2')))?.upstreamRequestId).toBe('req_prog2');
    } finally {
      await s.close();
    }
  });

  it('names a bad flag', async () => {
    expect(await cli(['import', '--source', 'cursor'])).toMatchObject({ code: 2, err: expect.stringContaining('--source must be claude-code, codex or all, not "cursor"') });
    expect(await cli(['import', '--format', 'ledger', join(work, 'no-such-export.jsonl'), '--db', join(work, 'x.db')])).toMatchObject({ code: 2, err: expect.stringContaining('no-such-export.jsonl" (no such file)') });
    expect(await cli(['import', '--dir', work])).toMatchObject({ code: 2, err: expect.stringContaining('--dir needs --source') });
    expect(await cli(['import', '--source', 'claude-code', '--dir', join(work, 'nope')])).toMatchObject({ code: 2, err: expect.stringContaining(`--dir: "${join(work, 'nope')}" does not exist`) });
    const file = join(work, 'a-file');
    writeFileSync(file, '');
    expect(await cli(['import', '--source', 'claude-code', '--dir', file])).toMatchObject({ code: 2, err: expect.stringContaining(`"${file}" is not a folder`) });
    const empty = mkdtempSync(join(work, 'empty-'));
    expect(await cli(['import', '--source', 'claude-code'], { CLAUDE_CONFIG_DIR: empty })).toMatchObject({ code: 2, err: expect.stringContaining(`CLAUDE_CONFIG_DIR: "${empty}" is not a Claude Code config directory (no projects/ folder inside)`) });
    // Beside a valid one, an entry that is not (a profile never used) is skipped with a warning.
    const skipping = await cli(['import', '--source', 'claude-code', '--dry-run', '--json', '--state', join(work, 'skip-state.json')], { CLAUDE_CONFIG_DIR: `${empty},${corpus.claudeDir}` });
    expect(skipping.code, skipping.err).toBe(0);
    expect(skipping.err).toContain(`import: CLAUDE_CONFIG_DIR: "${empty}" is not a Claude Code config directory (no projects/ folder inside); read the others`);
    expect((JSON.parse(skipping.out) as { filesSeen: number }).filesSeen).toBeGreaterThan(0);
    expect(await cli(['import', '--format', 'ledger'])).toMatchObject({ code: 2, err: expect.stringContaining('name the JSONL file') });
    expect(await cli(['import', '--source', 'codex'], { CODEX_HOME: join(work, 'no-codex') })).toMatchObject({ code: 2, err: expect.stringContaining(`CODEX_HOME: "${join(work, 'no-codex')}" does not exist`) });
    expect(await cli(['import', '--source', 'codex'], { CODEX_HOME: file })).toMatchObject({ code: 2, err: expect.stringContaining(`CODEX_HOME: "${file}" is not a folder`) });
    expect(await cli(['import', '--source', 'codex', '--dir', join(work, 'no-codex')])).toMatchObject({ code: 2, err: expect.stringContaining(`--dir: "${join(work, 'no-codex')}" is not a directory`) });
    // No Codex folder at its default place, with every source: nothing to say.
    const nobody = mkdtempSync(join(work, 'home-'));
    const quiet = await cli(['import', '--source', 'all', '--db', join(work, 'nobody.db'), '--json', '--state', join(nobody, 's.json')], { HOME: nobody, CLAUDE_CONFIG_DIR: corpus.claudeDir, CODEX_HOME: '' });
    expect(quiet.code, quiet.err).toBe(0);
    expect(await cli(['import', '--format', 'ledger', file, '--dir', work, '--user', 'u', '--full'])).toMatchObject({ code: 2, err: expect.stringContaining('--format ledger: --dir, --user, --full apply to agent logs only') });
    expect(await cli(['import', '--format', 'ledger', file, '--push', 'http://127.0.0.1:1'], { TOLLGATE_ADMIN_TOKEN: '' })).toMatchObject({ code: 2, err: expect.stringContaining('TOLLGATE_ADMIN_TOKEN') });
    // A state folder behind a symlink to nothing: told before anything is read or written.
    const dangling = join(work, 'unmounted');
    symlinkSync(join(work, 'no-volume'), dangling);
    const stateDb = join(work, 'state-refused.db');
    expect(await cli(['import', '--source', 'claude-code', '--dir', corpus.claudeDir, '--db', stateDb, '--state', join(dangling, 's.json')])).toMatchObject({
      code: 2,
      err: expect.stringContaining(`cannot keep the import state at "${join(dangling, 's.json')}" (ENOTDIR: "${dangling}" exists but is not a folder`),
    });
    expect(existsSync(stateDb)).toBe(false);
    expect(await cli(['import', '--push', 'ftp://x'])).toMatchObject({ code: 2, err: expect.stringContaining('--push must be an http or https URL') });
    expect(await cli(['import', '--push', 'http://127.0.0.1:1'], { TOLLGATE_ADMIN_TOKEN: '' })).toMatchObject({ code: 2, err: expect.stringContaining('TOLLGATE_ADMIN_TOKEN') });
  });
  it('queues imported spend for the gateways’ budget counters only where a budget is configured or stored', async () => {
    const file = join(work, 'recent.jsonl');
    writeFileSync(file, [1, 2].map((i) => toJsonLine(sampleRow({ id: `recent-${i}`, ts: Date.now() - i * 60_000, costPicos: 5_000_000_000n }))).join('\n') + '\n');
    const pending = async (db: string, extra: string[] = []) => {
      expect((await cli(['import', '--format', 'ledger', file, ...extra, '--json'])).code).toBe(0);
      const s = openSqlite(db);
      try {
        return (await s.ledger.pendingCharges()).length;
      } finally {
        await s.close();
      }
    };
    // No budget anywhere: nothing queued (a first import would pay as much again to queue it).
    const none = join(work, 'charges-none.db');
    expect(await pending(none, ['--db', none])).toBe(0);
    // A budget in the config the import is given, as the gateway's.
    const configured = join(work, 'charges-config.db');
    const config = join(work, 'charges.yaml');
    writeFileSync(config, `storage: { sqlite: "${configured}" }\nbudgets:\n  - { scope: team:platform, window: month, limit_usd: 400 }\n`);
    expect(await pending(configured, ['--config', config])).toBe(2);
    // A budget stored in the ledger (made through the admin API or the CLI).
    const stored = join(work, 'charges-stored.db');
    const s = openSqlite(stored);
    await s.policy.putBudget({ id: 'bud_t', kind: 'budget', name: null, scope: parseScope('team:platform'), window: parseWindow('month'), limitPicos: 400_000_000_000_000n, thresholds: [], fail: 'open', pool: null, downgrade: null, enforceMaxTokens: false, source: 'api', createdAt: 1 });
    await s.close();
    expect(await pending(stored, ['--db', stored])).toBe(2);
  });
});

function countCodexFiles(): number {
  return readdirSync(corpus.codexDir, { recursive: true }).filter((f) => String(f).endsWith('.jsonl')).length;
}

describe('tollgate import --push', () => {
  it('with a developer’s own Tollgate key (TOLLGATE_KEY): the rows are that key’s user and team, whatever --user says; a ledger file needs the admin token', async () => {
    const h = await startHarness();
    try {
      const logs = join(work, 'own-logs', 'projects', '-p');
      rmSync(logs, { recursive: true, force: true });
      mkdirSync(logs, { recursive: true });
      const line = JSON.stringify({ cwd: '/p', sessionId: 's2', requestId: 'req_k1', timestamp: new Date().toISOString(), message: { id: 'msg_k1', model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 5, output_tokens: 7 } } });
      appendFileSync(join(logs, 's2.jsonl'), `${line}\n`);
      const args = ['import', '--push', h.url, '--source', 'claude-code', '--dir', join(work, 'own-logs'), '--user', 'mallory', '--json', '--state', join(work, 'own-state.json')];
      const pushed = await cli(args, { TOLLGATE_KEY: h.key.key, TOLLGATE_ADMIN_TOKEN: '' });
      expect(pushed.code, pushed.err).toBe(0);
      const [row] = await h.rows();
      expect(row).toMatchObject({ source: 'claude-code-log', keyId: h.key.id, user: h.key.user, team: h.key.team });
      const refused = await cli([...args, '--full'], { TOLLGATE_KEY: 'tg_not-a-real-key', TOLLGATE_ADMIN_TOKEN: '' });
      expect(refused).toMatchObject({ code: 1, err: expect.stringContaining('refused the key (401)') });
      const file = join(work, 'own-export.jsonl');
      writeFileSync(file, toJsonLine(sampleRow({ id: 'own-exp' })));
      expect(await cli(['import', '--format', 'ledger', file, '--push', h.url], { TOLLGATE_KEY: h.key.key, TOLLGATE_ADMIN_TOKEN: '' })).toMatchObject({ code: 2, err: expect.stringContaining('a ledger file is loaded with the central Tollgate') });
    } finally {
      await h.close();
    }
  });

  it('sends rows to a central Tollgate, idempotently, and a request the gateway saw counts once', async () => {
    const h = await startHarness();
    try {
      // One real request through the gateway, in a Claude Code session: the ledger has its upstream request id.
      const client = new Anthropic({ baseURL: h.url, apiKey: h.key.key, defaultHeaders: { 'x-claude-code-session-id': 's' } });
      await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
      const [gatewayRow] = await h.rows();
      expect(gatewayRow!.upstreamRequestId).toMatch(/^req_/);

      // The same request in Claude Code's log (as if Claude Code ran through the gateway), written as the answer ended, and one that did not.
      const logs = join(work, 'push-logs', 'projects', '-p');
      const timestamp = new Date(gatewayRow!.ts + 5000).toISOString();
      const entry = (msg: string, req: string) => JSON.stringify({ cwd: '/p', sessionId: 's', requestId: req, timestamp, message: { id: msg, model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 5, output_tokens: 7 } } });
      rmSync(logs, { recursive: true, force: true });
      mkdirSync(logs, { recursive: true });
      appendFileSync(join(logs, 's.jsonl'), `${entry('msg_gw', gatewayRow!.upstreamRequestId!)}\n${entry('msg_own', 'req_own')}\n`);
      const args = ['import', '--push', h.url, '--source', 'claude-code', '--dir', join(work, 'push-logs'), '--json', '--state', join(work, 'push-state.json')];
      const pushed = await cli(args, { TOLLGATE_ADMIN_TOKEN: 'admin-secret' });
      expect(pushed.code, pushed.err).toBe(0);
      expect(JSON.parse(pushed.out)).toMatchObject({ written: 1 });
      const rows = await h.rows();
      expect(rows.map((r) => [r.source, r.upstreamRequestId]).sort()).toEqual([
        ['claude-code-log', 'req_own'],
        ['gateway', gatewayRow!.upstreamRequestId],
      ]);
      // Sent again from scratch: nothing changes.
      expect(JSON.parse((await cli([...args, '--full'], { TOLLGATE_ADMIN_TOKEN: 'admin-secret' })).out)).toMatchObject({ written: 0 });
      expect(await h.rows()).toHaveLength(2);
      // An export pushed: a transcript row that repeats the gateway's response (its message id, no request id) counts once there too.
      expect(gatewayRow!.responseId).toMatch(/^msg_/);
      const file = join(work, 'push-export.jsonl');
      const exported = (id: string, responseId: string) => toJsonLine(sampleRow({ id, ts: gatewayRow!.ts + 1000, source: 'claude-code-log', upstreamRequestId: null, sessionId: 's', responseId }));
      writeFileSync(file, exported('exp-dup', gatewayRow!.responseId!) + exported('exp-new', 'msg_new'));
      const sent = await cli(['import', '--format', 'ledger', file, '--push', h.url, '--json'], { TOLLGATE_ADMIN_TOKEN: 'admin-secret' });
      expect(sent.code, sent.err).toBe(0);
      expect(JSON.parse(sent.out)).toEqual({ read: 2, written: 1, skipped: 1 });
      expect((await h.rows()).map((r) => r.id)).toContain('exp-new');
      expect(await h.rows()).toHaveLength(3);
      // A wrong token is said as such, and nothing is marked as sent.
      const denied = await cli([...args, '--full'], { TOLLGATE_ADMIN_TOKEN: 'wrong' });
      expect(denied).toMatchObject({ code: 1, err: expect.stringContaining('refused the token (401)') });
    } finally {
      await h.close();
    }
  });
});

describe('tollgate import --format ledger', () => {
  const schema = `tg_import_${process.pid}_${Date.now() % 100000}`;
  beforeAll(async () => {
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    await c.query(`CREATE SCHEMA ${schema}`);
    await c.end();
  });
  afterAll(() => dropSchemas([schema]));

  it('moves a ledger from SQLite to Postgres through the export, ids, times and costs kept, and reports equal', async () => {
    const db = join(work, 'ledger.db');
    const file = join(work, 'export.jsonl');
    expect((await cli(['export', '--db', db, '--since', '2000-01-01', '-o', file])).code).toBe(0);
    const exported = readFileSync(file, 'utf8').trim().split('\n').length;
    const config = join(work, 'pg.yaml');
    writeFileSync(config, `storage:\n  postgres: "${TEST_PG_URL}?options=-c%20search_path%3D${schema}"\n`);
    const loaded = await cli(['import', '--format', 'ledger', file, '--config', config, '--json']);
    expect(loaded.code, loaded.err).toBe(0);
    expect(JSON.parse(loaded.out)).toEqual({ read: exported, written: exported, skipped: 0 });
    expect(JSON.parse((await cli(['import', '--format', 'ledger', file, '--config', config, '--json'])).out)).toEqual({ read: exported, written: 0, skipped: exported });

    const from = openSqlite(db);
    const to = await openPostgres({ url: TEST_PG_URL, schema });
    try {
      for (const by of [['client'], ['day', 'model'], ['session'], ['project', 'user']] as const) {
        const a = await runReport(from.ledger, { since: 0, by: [...by] });
        const b = await runReport(to.ledger, { since: 0, by: [...by] });
        expect(b.rows, by.join(',')).toEqual(a.rows);
      }
      const one = from.ledger.scan({})[Symbol.asyncIterator]();
      // The response id moves too (the last export column): de-duplication against gateway rows needs it.
      const row = (await one.next()).value!;
      expect(row.responseId).toMatch(/^msg_/);
      expect(await to.ledger.get(row.id)).toEqual(row);
    } finally {
      await from.close();
      await to.close();
    }
  });

  it('names the bad line', async () => {
    const file = join(work, 'bad.jsonl');
    writeFileSync(file, '{"id":"x"}\n');
    expect(await cli(['import', '--format', 'ledger', file, '--db', join(work, 'bad.db')])).toMatchObject({ code: 1, err: expect.stringContaining('line 1: ts must be a string') });
    expect(await cli(['import', '--format', 'ledger', work, '--db', join(work, 'bad.db')])).toMatchObject({ code: 2, err: expect.stringContaining(`"${work}" is a folder`) });
  });

  it('writes the rows before a bad line, and says how many', async () => {
    const file = join(work, 'bad-later.jsonl');
    const db = join(work, 'bad-later.db');
    writeFileSync(file, [1, 2, 3].map((i) => toJsonLine(sampleRow({ id: `good-${i}` }))).join('') + '{"id":"x"}\n');
    expect(await cli(['import', '--format', 'ledger', file, '--db', db])).toMatchObject({ code: 1, err: expect.stringContaining('line 4: ts must be a string (3 rows before it written, 0 already present)') });
    const s = openSqlite(db);
    try {
      expect(await s.ledger.get('good-3')).toMatchObject({ id: 'good-3' });
    } finally {
      await s.close();
    }
  });

  it('names a line whose cost no ledger row can hold, rather than failing at the insert with a stack trace', async () => {
    const file = join(work, 'huge.jsonl');
    writeFileSync(file, toJsonLine(sampleRow({ id: 'ok' })) + toJsonLine(sampleRow({ id: 'huge', costPicos: 2n ** 70n })));
    const r = await cli(['import', '--format', 'ledger', file, '--db', join(work, 'huge.db')]);
    expect(r).toMatchObject({ code: 1, err: expect.stringContaining('line 2: cost_usd: 1180591620.717411303424 is more than one ledger row can hold (9223372.036854775807 USD)') });
    expect(r.err).not.toContain('    at ');
  });
});
