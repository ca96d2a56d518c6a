import type { AttemptRow, LedgerRow } from '../core/ledger-row.js';

const NUL = '\u0000';
const REPLACEMENT = '\uFFFD';

/**
 * The row as storage can keep it: U+0000 in any text becomes U+FFFD. Postgres refuses NUL in
 * text and JSONB (which failed the whole batch), and SQLite cuts a string short at it; a model
 * name or tag is client input, so it can hold one. The row itself is returned when clean.
 */
export function storableRow(r: LedgerRow): LedgerRow {
  let out = withoutNul(r, ROW_TEXT);
  const tags = withoutNulEntries(r.tags);
  if (tags !== r.tags) out = { ...out, tags };
  if (r.attemptLog) {
    const log = r.attemptLog.map((a) => withoutNul(a, ATTEMPT_TEXT));
    if (log.some((a, i) => a !== r.attemptLog![i])) out = { ...out, attemptLog: log };
  }
  return out;
}

export function storableRows(rows: readonly LedgerRow[]): readonly LedgerRow[] {
  const out = rows.map(storableRow);
  return out.some((r, i) => r !== rows[i]) ? out : rows;
}

/** The keys of a row type whose values may be text. */
type TextKey<T> = { [K in keyof T]-?: Extract<T[K], string> extends never ? never : K }[keyof T];

// Listed rather than found by `for...in` on every row, which cost a gateway request about a microsecond.
const ROW_TEXT = [
  'id', 'api', 'provider', 'model', 'modelRequested', 'keyId', 'user', 'team', 'project', 'sessionId', 'client', 'outcome', 'errorType',
  'usageSource', 'pool', 'upstreamRequestId', 'source', 'routeRule', 'routeMode', 'prefix', 'lastTurnHash', 'responseId',
] as const satisfies readonly TextKey<LedgerRow>[];
const ATTEMPT_TEXT = ['requestId', 'deployment', 'provider', 'model', 'outcome', 'errorType', 'usageSource'] as const satisfies readonly TextKey<AttemptRow>[];
// Fail to compile when a row type gains a text field these lists leave out.
const everyRowText: [Exclude<TextKey<LedgerRow>, (typeof ROW_TEXT)[number]>] extends [never] ? true : never = true;
const everyAttemptText: [Exclude<TextKey<AttemptRow>, (typeof ATTEMPT_TEXT)[number]>] extends [never] ? true : never = true;
void everyRowText;
void everyAttemptText;

function withoutNul<T extends LedgerRow | AttemptRow>(o: T, keys: readonly TextKey<T>[]): T {
  let copy: T | undefined;
  for (const key of keys) {
    const v = o[key];
    if (typeof v === 'string' && v.includes(NUL)) (copy ??= { ...o })[key] = v.replaceAll(NUL, REPLACEMENT) as T[typeof key];
  }
  return copy ?? o;
}

function withoutNulEntries(tags: Record<string, string>): Record<string, string> {
  for (const [k, v] of Object.entries(tags)) {
    if (k.includes(NUL) || (typeof v === 'string' && v.includes(NUL))) {
      return Object.fromEntries(Object.entries(tags).map(([a, b]) => [a.replaceAll(NUL, REPLACEMENT), typeof b === 'string' ? b.replaceAll(NUL, REPLACEMENT) : b]));
    }
  }
  return tags;
}

/** `\u0000` as JSON writes a NUL, not preceded by a backslash of its own (`\\u0000` is text). */
const ESCAPED_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g;

/**
 * A query parameter as storage can keep it, as `storableRow` does for rows: U+0000 in text
 * becomes U+FFFD, and so does its escape in JSON text (a document or tags serialised).
 */
export function storableParam(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  let out = v.includes(NUL) ? v.replaceAll(NUL, REPLACEMENT) : v;
  if ((out.startsWith('{') || out.startsWith('[')) && out.includes('\\u0000')) out = out.replace(ESCAPED_NUL, '$1\\ufffd');
  return out;
}
