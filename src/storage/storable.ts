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

/** The first row of each id, as an `INSERT OR IGNORE` of the batch keeps (the rows themselves when no id repeats). */
export function firstOfEachId(rows: readonly LedgerRow[]): readonly LedgerRow[] {
  const ids = new Set<string>();
  const out = rows.filter((r) => !ids.has(r.id) && Boolean(ids.add(r.id)));
  return out.length === rows.length ? rows : out;
}

/** The keys of a row type whose values may be text. */
type TextKey<T> = { [K in keyof T]-?: Extract<T[K], string> extends never ? never : K }[keyof T];

/**
 * A reader for each text field of a row type; leaving one out fails to compile. A function per
 * field, so that each reads one property of one shape: one loop reading all of them by name was
 * megamorphic, 400 ns a gateway row against 170 (a `for...in` over the row cost about a microsecond).
 */
type TextReaders<T> = { [K in TextKey<T>]-?: (o: T) => T[K] };

const ROW_TEXT = textFields<LedgerRow>({
  id: (r) => r.id,
  api: (r) => r.api,
  provider: (r) => r.provider,
  model: (r) => r.model,
  modelRequested: (r) => r.modelRequested,
  keyId: (r) => r.keyId,
  user: (r) => r.user,
  team: (r) => r.team,
  project: (r) => r.project,
  sessionId: (r) => r.sessionId,
  client: (r) => r.client,
  outcome: (r) => r.outcome,
  errorType: (r) => r.errorType,
  usageSource: (r) => r.usageSource,
  pool: (r) => r.pool,
  upstreamRequestId: (r) => r.upstreamRequestId,
  source: (r) => r.source,
  routeRule: (r) => r.routeRule,
  routeMode: (r) => r.routeMode,
  prefix: (r) => r.prefix,
  lastTurnHash: (r) => r.lastTurnHash,
  responseId: (r) => r.responseId,
  serviceTier: (r) => r.serviceTier,
});
const ATTEMPT_TEXT = textFields<AttemptRow>({
  requestId: (a) => a.requestId,
  deployment: (a) => a.deployment,
  provider: (a) => a.provider,
  model: (a) => a.model,
  outcome: (a) => a.outcome,
  errorType: (a) => a.errorType,
  usageSource: (a) => a.usageSource,
});

const hasNul = (v: unknown) => typeof v === 'string' && v.includes(NUL);

/** A row type's text fields: their readers, for the check, and their names, for the rare rewrite. */
interface TextFields<T> {
  read: readonly ((o: T) => unknown)[];
  names: readonly string[];
}

function textFields<T>(readers: TextReaders<T>): TextFields<T> {
  return { read: Object.values<(o: T) => unknown>(readers), names: Object.keys(readers) };
}

function withoutNul<T extends LedgerRow | AttemptRow>(o: T, fields: TextFields<T>): T {
  if (!fields.read.some((read) => hasNul(read(o)))) return o;
  const copy: Record<string, unknown> = { ...o };
  for (const name of fields.names) if (hasNul(copy[name])) copy[name] = (copy[name] as string).replaceAll(NUL, REPLACEMENT);
  return copy as T;
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
