import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest's global setup: the run's temporary files in one folder of their own, removed when the run
 * ends. The tests make over a thousand folders (ledgers, spools, corpora, configs: about 250 MB), and
 * a developer who runs the suite often would otherwise find them all in /tmp. Workers and the CLI
 * processes the tests start inherit TMPDIR, which `os.tmpdir()` reads.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-tests-'));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
