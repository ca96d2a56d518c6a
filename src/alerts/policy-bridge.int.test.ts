import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../core/logger.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { AlertBridge } from './policy-bridge.js';
import { MemorySink } from './webhook.js';

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('policy alerts from several replicas', () => {
  it('send one counters alert a minute for an outage every replica sees, and each replica audits only what it sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-bridge-'));
    dirs.push(dir);
    const storage = openSqlite(join(dir, 'ledger.db'));
    try {
      let now = Date.UTC(2026, 11, 6, 12, 0, 10);
      const sinks = [new MemorySink(), new MemorySink()];
      const bridges = sinks.map((sink) => new AlertBridge(storage, sink, undefined, quiet, () => now));
      const settle = () => new Promise((r) => setTimeout(r, 50));
      for (const b of bridges) b.countersDown('open', 'Redis at 127.0.0.1:6379 is not connected');
      await settle();
      expect(sinks.flatMap((s) => s.events).map((e) => e.type)).toEqual(['counters.fail_open']);
      // The next minute: one alert again, and a fail-closed alert is claimed apart.
      now += 61_000;
      for (const b of bridges) b.countersDown('open', 'still down');
      for (const b of bridges) b.countersDown('closed', 'still down');
      await settle();
      expect(sinks.flatMap((s) => s.events).map((e) => e.type).sort()).toEqual(['counters.fail_closed', 'counters.fail_open', 'counters.fail_open']);
      expect((await storage.policy.listAudit({})).map((a) => a.action).sort()).toEqual(['policy.fail_closed', 'policy.fail_open', 'policy.fail_open']);
    } finally {
      await storage.close();
    }
  });
});
