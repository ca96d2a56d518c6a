import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startLedger } from '../../src/app-ledger.js';
import type { Logger } from '../../src/core/logger.js';
import { encodeRow } from '../../src/metering/row-codec.js';
import { openSqlite } from '../../src/storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../../src/storage/testing/rows.js';
import { type Harness, chatOk, eventually, startHarness, testPrice } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ inlineWriter: { insertLockWaitMs: 20 } });
});
afterAll(() => h.close());

/**
 * Another process (an import, say) that takes SQLite's write lock and holds it for `ms`
 * (a gateway that waited for the lock on its event loop would answer nothing until then).
 */
async function holdWriteLock(path: string, ms: number): Promise<{ released(): Promise<number> }> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const code = `const D = require(${JSON.stringify(driver)}); const d = new D(${JSON.stringify(path)});
d.exec('BEGIN IMMEDIATE'); console.log('locked');
const go = () => { d.exec('COMMIT'); console.log('released ' + Date.now()); process.exit(0); };
setTimeout(go, ${ms});`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await eventually(() => expect(out).toContain('locked'), 5000);
  return {
    released: async () => {
      const m = await eventually(() => {
        const found = /released (\d+)/.exec(out);
        expect(found).not.toBeNull();
        return found!;
      }, 9000);
      return Number(m[1]);
    },
  };
}

const chat = async () => ({ id: await chatOk(h), at: Date.now() });

describe('SQLite locked by another process', () => {
  it('keeps serving while the lock is held, and commits the rows once it is released', async () => {
    await h.mark();
    const lock = await holdWriteLock(join(h.dir, 'tollgate.db'), 3000);
    const done: { id: string; at: number }[] = [];
    // Each request gives the writer a turn to try its batch (and find the lock taken).
    for (let i = 0; i < 5; i++) {
      done.push(await chat());
      await new Promise((r) => setTimeout(r, 30));
    }
    const releasedAt = await lock.released();
    // Answered while the lock was held: the writer did not wait for it on the event loop.
    for (const d of done) expect(d.at).toBeLessThan(releasedAt);
    const rows = await eventually(async () => {
      const r = await h.rows();
      expect(r).toHaveLength(5);
      return r;
    }, 10_000);
    expect(rows.map((r) => r.id).sort()).toEqual(done.map((d) => d.id).sort());
  });
});

describe('a start with a spool to replay while another process holds the lock', () => {
  it('waits for the lock, then replays every row once, instead of failing the start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-lock-start-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const db = join(dir, 'tollgate.db');
    const spoolDir = join(dir, 'spool');
    mkdirSync(spoolDir);
    // A spool left by a process that died (its pid no longer runs).
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const rows = Array.from({ length: 3 }, (_, i) => sampleRow({ id: `left-${i}`, ts: Date.now() - 1000 + i }));
    writeFileSync(join(spoolDir, `spool-${dead}-1-abc.jsonl`), rows.map(encodeRow).join(''));
    const storage = openSqlite(db, { insertLockWaitMs: 20 });
    onTestFinished(() => storage.close());
    const warned: string[] = [];
    const none = () => undefined;
    const log: Logger = { debug: none, info: none, warn: (msg) => void warned.push(msg), error: none };
    const lock = await holdWriteLock(db, 1000);
    const ledger = await startLedger({ storage, spoolDir, log, price: testPrice });
    const releasedAt = await lock.released();
    expect(Date.now()).toBeGreaterThanOrEqual(releasedAt);
    expect(warned[0]).toBe('another process (an import) holds the ledger write lock: waiting for it to replay the journals of an earlier process before serving');
    expect(warned).toHaveLength(1);
    ledger.stopWatching();
    await ledger.writer.close();
    ledger.open.close();
    for (const r of rows) expect((await storage.ledger.get(r.id))?.id).toBe(r.id);
    expect(readdirSync(spoolDir).filter((n) => n.includes(String(dead)))).toEqual([]);
  });
});
