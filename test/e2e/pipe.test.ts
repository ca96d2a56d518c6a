import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toJsonLine } from '../../src/reports/export.js';
import { randomRows } from '../../src/storage/testing/rows.js';
import { BIN, serve, tollgate } from './cli.js';

describe('the built CLI in a pipeline', () => {
  it('stops quietly when the reader of its output goes away (`tollgate export | head`)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-pipe-'));
    const db = join(dir, 'ledger.db');
    // Far more than a pipe holds, so that the export is still writing when the reader leaves.
    writeFileSync(join(dir, 'rows.jsonl'), randomRows(5000, 11).map(toJsonLine).join(''));
    expect((await tollgate(['import', '--format', 'ledger', join(dir, 'rows.jsonl'), '--db', db, '--quiet'])).code).toBe(0);

    const child = spawn(process.execPath, [BIN, 'export', '--format', 'csv', '--since', '2000-01-01', '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const first = await new Promise<string>((resolve) => child.stdout.once('data', (c: Buffer) => resolve(c.toString())));
    // As `head` does: read a little, then close the pipe.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(first.startsWith('id,ts,api,')).toBe(true);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('stops on SIGTERM when the reader of its log has gone away (`tollgate serve 2>&1 | head`)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-pipe-'));
    const served = await serve(['--db', join(dir, 'ledger.db')]);
    // As `head` does once it has its lines: the log's pipe closes while the gateway runs.
    served.child.stderr!.destroy();
    served.child.stdout!.destroy();
    const exited = new Promise<number | null>((resolve) => served.child.once('exit', resolve));
    // Shutdown logs a line; before, that write's EPIPE was logged again, in a loop that never let the process end.
    served.child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 15_000))]);
    if (code === 'still running') served.child.kill('SIGKILL');
    expect(code).toBe(0);
  });
});
