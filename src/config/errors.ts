import { SetupError } from '../core/errors.js';
export interface ConfigIssue {
  /** The setting, e.g. `providers[1].dialect` ('' for the file as a whole). */
  path: string;
  line: number | undefined;
  message: string;
}

/** Every problem in a config file, each naming the setting and its line. */
export class ConfigError extends SetupError {
  override readonly name = 'ConfigError';
  readonly file: string;
  readonly issues: readonly ConfigIssue[];

  constructor(file: string, issues: readonly ConfigIssue[]) {
    super(`config ${file}:\n` + issues.map((i) => `  ${i.path || '(file)'}${i.line ? ` (line ${i.line})` : ''}: ${i.message}`).join('\n'));
    this.file = file;
    this.issues = issues;
  }
}

export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), '');
}
