import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './index.js';

/** Test helpers: a config file with this text, in a fresh folder. */
export function configFile(text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'tg-config-')), 'tollgate.yaml');
  writeFileSync(p, text);
  return p;
}

/** The issues a config text is refused with, as `path@line: message`. */
export function configIssues(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfig({ file: configFile(text), env });
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}@${i.line ?? '-'}: ${i.message}`);
    throw err;
  }
  throw new Error('expected a ConfigError');
}
