import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import { forEachJournalBatch } from '../../src/metering/journal-files.js';
import { type Harness, chatOk, eventually, startHarness } from '../support/harness.js';

/** The gateway's error lines. */
function errorLog(): { log: Logger; errors: string[] } {
  const errors: string[] = [];
  const none = () => undefined;
  return { log: { debug: none, info: none, warn: none, error: (msg) => void errors.push(msg) }, errors };
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('the ledger deleted under a running gateway', () => {
  it('says so, once an interval, when the folder holding the ledger and the spool is removed', async () => {
    const { log, errors } = errorLog();
    h = await startHarness({ inlineWriter: { insertLockWaitMs: 20 }, log, fileCheckMs: 50 });
    const dir = h.dir;
    await chatOk(h);
    await new Promise((r) => setTimeout(r, 200));
    expect(errors).toEqual([]);
    rmSync(join(h.dir, 'tollgate.db'));
    rmSync(join(h.dir, 'spool'), { recursive: true });
    await chatOk(h);
    const said = await eventually(() => {
      expect(errors.length).toBeGreaterThan(0);
      return errors;
    });
    // The spool's file is made again in a new folder, and kept: the next start replays its rows into a new ledger.
    expect(said[0]).toBe(`the ledger file "${join(h.dir, 'tollgate.db')}" was deleted while the gateway runs: the spool keeps them: restart the gateway to start a new ledger with them`);
    // Checked every 50 ms, told at most every 30 s.
    await new Promise((r) => setTimeout(r, 300));
    expect(errors).toHaveLength(1);
    await h.close();
    h = undefined;
    const kept = readdirSync(join(dir, 'spool')).filter((n) => n.startsWith('spool-'));
    expect(kept).toHaveLength(1);
    const replayed: string[] = [];
    await forEachJournalBatch(join(dir, 'spool', kept[0]!), 100, (rows) => Promise.resolve(void replayed.push(...rows.map((r) => r.id))));
    expect(replayed).toHaveLength(2);
  });

  it('names a replaced ledger file, and a spool file deleted alone', async () => {
    const { log, errors } = errorLog();
    h = await startHarness({ inlineWriter: { insertLockWaitMs: 20 }, log, fileCheckMs: 50 });
    const db = join(h.dir, 'tollgate.db');
    renameSync(db, `${db}.old`);
    writeFileSync(db, '');
    await chatOk(h);
    await eventually(() => expect(errors).toContain(`the ledger file "${db}" was replaced by another file while the gateway runs: the spool keeps them: restart the gateway to start a new ledger with them`));
    await h.close();
    // Its rows were committed to the lost file: the spool keeps them for the next start, which replays them into the new ledger.
    const kept = readdirSync(join(h.dir, 'spool')).filter((n) => n.startsWith('spool-'));
    expect(kept).toHaveLength(1);
    const replayed: string[] = [];
    await forEachJournalBatch(join(h.dir, 'spool', kept[0]!), 100, (rows) => Promise.resolve(void replayed.push(...rows.map((r) => r.api))));
    expect(replayed).toContain('openai.chat');

    // The spool's folder removed alone: its file is made again, with its rows, and that is a warning, not an error.
    const warned: string[] = [];
    const second = errorLog();
    h = await startHarness({ inlineWriter: { insertLockWaitMs: 20 }, log: { ...second.log, warn: (msg) => void warned.push(msg) }, fileCheckMs: 50 });
    rmSync(join(h.dir, 'spool'), { recursive: true });
    await eventually(() => expect(warned.join('\n')).toMatch(/^the spool file ".*spool-\d+-.*\.jsonl" was deleted while the gateway runs: made it again as ".*spool-\d+-.*\.jsonl", with the rows not yet in storage$/m));
    expect(readdirSync(join(h.dir, 'spool')).filter((n) => n.startsWith('spool-'))).toHaveLength(1);
    await chatOk(h);
    expect(second.errors).toEqual([]);
  });
});
