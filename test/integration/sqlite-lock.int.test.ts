import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, chatOk, eventually, startHarness } from '../support/harness.js';

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
