import { gzipSync } from 'node:zlib';
import { fetchFailureReason } from '../core/errors.js';
import { fetchThroughProxy } from '../egress/fetch-proxy.js';
import type { LedgerRow } from '../core/ledger-row.js';
import { type Picos, usd } from '../core/money.js';
import { toJsonLine } from '../reports/export.js';

export interface PushOptions {
  /** The central Tollgate's base URL (`https://tollgate.example.com`). */
  url: string;
  /** Its admin token (TOLLGATE_ADMIN_TOKEN there), or with `own` a developer's Tollgate key there. */
  token: string;
  /** `token` is a developer's own key: rows go to `/admin/v1/me/ledger/import`, attributed to it. */
  own?: boolean;
  /** Rows a request, at most (2,000). */
  batch?: number;
  /** Bytes a request before compression, at most (8 MB): a row's tags can be large. */
  batchBytes?: number;
  /**
   * `upsert` (agent logs: a response whose usage grew since the last push replaces its row) or
   * `insert` (a ledger file: rows the server already has are kept as they are).
   */
  mode?: 'upsert' | 'insert';
  /**
   * Adds up what the server says the rows it received cost, as it priced them (`cost_usd`: its
   * catalog and discounts); `known` turns false when an answer has none (an older Tollgate).
   */
  priced?: { picos: Picos; known: boolean };
  /**
   * Adds up the rows the server says it removed (`removed`: only those it held, so a removal of a
   * row it never had is none); against a server whose answer has no count, each removal sent is one.
   */
  removed?: { n: number };
  /** Tries per batch (network errors, 429 and 5xx are retried with backoff). */
  tries?: number;
  fetch?: typeof globalThis.fetch;
  sleep?: (ms: number) => Promise<void>;
}

export class PushError extends Error {}

/** The server, or a proxy in front of it, refused a batch as too large (413). */
class TooLarge extends Error {}

/**
 * Sends rows (and removals) to `POST /admin/v1/ledger/import` in gzipped batches of NDJSON
 * lines in the export format, each at most `batch` rows and `batchBytes` bytes. A batch refused
 * as too large (a proxy's body limit) is sent again in halves. Every batch is idempotent on the
 * server, so a retry after a lost answer cannot double count. Returns how many rows the server wrote.
 */
export async function pushRows(rows: readonly LedgerRow[], remove: readonly string[], o: PushOptions): Promise<number> {
  const endpoint = importEndpoint(o.url, o.mode, o.own);
  if (!o.fetch) await fetchThroughProxy();
  const lines = [...remove.map(removalLine), ...rows.map(toJsonLine)];
  let written = 0;
  for (const batch of batches(lines, o.batch ?? 2000, o.batchBytes ?? 8 * 1024 * 1024)) written += await sendLines(endpoint, batch, o);
  return written;
}

const removalLine = (id: string) => JSON.stringify({ remove: id }) + '\n';
/** A removal line as removalLine writes it (a row's line starts with its own members). */
const isRemoval = (line: string) => line.startsWith('{"remove":');

/** Consecutive runs of lines within both limits (a line alone past the byte limit is a run of its own). */
function* batches(lines: readonly string[], maxRows: number, maxBytes: number): Generator<string[]> {
  let run: string[] = [];
  let bytes = 0;
  for (const line of lines) {
    const n = Buffer.byteLength(line);
    if (run.length > 0 && (run.length >= maxRows || bytes + n > maxBytes)) {
      yield run;
      run = [];
      bytes = 0;
    }
    run.push(line);
    bytes += n;
  }
  if (run.length > 0) yield run;
}

async function sendLines(endpoint: string, lines: readonly string[], o: PushOptions): Promise<number> {
  try {
    return await sendBatch(endpoint, lines.join(''), o, lines.filter(isRemoval).length);
  } catch (err) {
    if (!(err instanceof TooLarge)) throw err;
    if (lines.length === 1) throw new PushError(`${endpoint} refuses one row of ${Buffer.byteLength(lines[0]!)} bytes as too large (413: ${err.message}): raise the body limit of the server or the proxy in front of it`);
    const half = Math.ceil(lines.length / 2);
    return (await sendLines(endpoint, lines.slice(0, half), o)) + (await sendLines(endpoint, lines.slice(half), o));
  }
}

/** The import endpoint under the base URL, its path kept (a Tollgate behind a proxy at `https://h/tollgate`). */
export function importEndpoint(base: string, mode: PushOptions['mode'] = 'upsert', own = false): string {
  const u = new URL(base);
  u.pathname = u.pathname.replace(/\/+$/, '') + (own ? '/admin/v1/me/ledger/import' : '/admin/v1/ledger/import');
  if (mode === 'insert') u.searchParams.set('mode', 'insert');
  return u.toString();
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** The counts of the server's answer (`removed` undefined when it has none), or undefined when the answer is not Tollgate's (a login page, a proxy's). */
function countsOf(text: string): { written: number; removed: number | undefined } | undefined {
  try {
    const o = JSON.parse(text) as { written?: unknown; removed?: unknown } | null;
    return isCount(o?.written) ? { written: o.written, removed: isCount(o.removed) ? o.removed : undefined } : undefined;
  } catch {
    return undefined;
  }
}

/** The `error.message` of a Tollgate error answer; undefined for anything else. */
function errorMessageOf(text: string): string | undefined {
  try {
    const m = (JSON.parse(text) as { error?: { message?: unknown } } | null)?.error?.message;
    return typeof m === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Characters of an answer that is not Tollgate's quoted in an error (docs/import.md: "quoting its start"). */
const QUOTED_CHARS = 60;

/**
 * The start of an answer that is not Tollgate's, to quote in an error: on one line, at most
 * QUOTED_CHARS characters, and said to be an HTML page when it is one (a whole 404 page of
 * styles quoted said nothing the start does not).
 */
export function answerStart(text: string, contentType: string | null): string {
  const head = text.trimStart().slice(0, 4 * QUOTED_CHARS).replace(/\s+/g, ' ').trim();
  if (head === '') return 'an empty answer';
  const chars = [...head];
  const more = chars.length > QUOTED_CHARS || text.trim().length > 4 * QUOTED_CHARS;
  const quoted = `"${chars.slice(0, QUOTED_CHARS).join('')}${more ? '…' : ''}"`;
  const html = /html/i.test(contentType ?? '') || /^<(!doctype html|html)[\s>]/i.test(head);
  return html ? `an HTML page starting ${quoted}` : quoted;
}

function addCost(priced: NonNullable<PushOptions['priced']>, text: string): void {
  const cost = (JSON.parse(text) as { cost_usd?: unknown }).cost_usd;
  try {
    if (typeof cost !== 'string') throw new RangeError('no cost_usd');
    priced.picos += usd(cost);
  } catch {
    priced.known = false;
  }
}

async function sendBatch(endpoint: string, body: string, o: PushOptions, removals: number): Promise<number> {
  const fetch = o.fetch ?? globalThis.fetch;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const tries = o.tries ?? 5;
  let problem = '';
  for (let attempt = 1; attempt <= tries; attempt++) {
    if (attempt > 1) await sleep(500 * 2 ** (attempt - 2));
    let res: Response;
    try {
      res = await fetch(endpoint, { method: 'POST', headers: { authorization: `Bearer ${o.token}`, 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }, body: gzipSync(body) });
    } catch (err) {
      problem = `cannot reach ${endpoint} (${fetchFailureReason(err)})`;
      continue;
    }
    const text = await res.text();
    if (res.ok) {
      const counts = countsOf(text);
      if (counts !== undefined) {
        if (o.priced) addCost(o.priced, text);
        if (o.removed) o.removed.n += counts.removed ?? removals;
        return counts.written;
      }
      problem = `${endpoint} answered ${res.status} with ${answerStart(text, res.headers.get('content-type'))}, not a Tollgate answer: is the URL the central Tollgate's base URL`;
      break;
    }
    // Tollgate's own error message, else only the start of what answered (a proxy's page, a 404 page of the wrong URL).
    const own = errorMessageOf(text);
    const message = own ?? answerStart(text, res.headers.get('content-type'));
    if (res.status === 413) throw new TooLarge(message.replace(/\.+$/, ''));
    problem =
      res.status === 401 || res.status === 403
        ? o.own
          ? `${endpoint} refused the key (${res.status}): ${message.replace(/\.+$/, '')} (TOLLGATE_KEY must be a Tollgate key of the central gateway)`
          : `${endpoint} refused the token (${res.status}): --push sends TOLLGATE_ADMIN_TOKEN, which must be the central gateway's admin token`
        : own !== undefined
          ? `${endpoint} answered ${res.status}: ${own.replace(/\.+$/, '')}`
          : `${endpoint} answered ${res.status} with ${message}${res.status < 500 ? ": is the URL the central Tollgate's base URL" : ''}`;
    if (res.status !== 429 && res.status < 500) break;
  }
  throw new PushError(problem);
}
