/**
 * The one CSV writer: every CSV Tollgate writes (`report`, `chargeback`, `outcomes report`,
 * `export --format csv|focus`, the admin API's `format=csv` and `format=focus`) builds its
 * lines here, so quoting and the guard against formulas are the same everywhere.
 */
export type CsvValue = string | number | bigint | boolean | null | undefined;

/** What a spreadsheet takes for the start of a formula (OWASP's list for CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A plain decimal (an amount such as -0.5): a spreadsheet reads it as that number, never as a formula. */
const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * One CSV field, quoted per RFC 4180 when it needs to be. A text that a spreadsheet would run
 * as a formula (it begins with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading
 * `'`, which shows it as text; numbers, and text that is a plain decimal number, stay as they are.
 * Text here is anything a request can set: tag values, model names, user names.
 */
export function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (typeof v === 'string' && FORMULA_START.test(s) && !NUMBER.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: readonly CsvValue[]): string {
  return values.map(csvField).join(',') + '\n';
}
