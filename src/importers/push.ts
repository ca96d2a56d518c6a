import { fetchFailureReason } from '../core/errors.js';
import { fetchThroughProxy } from '../egress/fetch-proxy.js';
import type { LedgerRow } from '../core/ledger-row.js';
import { toJsonLine } from '../reports/export.js';

export interface PushOptions {
  /** The central Tollgate's base URL (`https://tollgate.example.com`). */
  url: string;
  /** Its admin token (TOLLGATE_ADMIN_TOKEN there). */
  token: string;
  batch?: number;
  /**
   * `upsert` (agent logs: a response whose usage grew since the last push replaces its row) or
   * `insert` (a ledger file: rows the server already has are kept as they are).
   */
  mode?: 'upsert' | 'insert';
  /** Tries per batch (network errors, 429 and 5xx are retried with backoff). */
  tries?: number;
  fetch?: typeof globalThis.fetch;
  sleep?: (ms: number) => Promise<void>;
}

export class PushError extends Error {}

/**
 * Sends rows (and removals) to `POST /admin/v1/ledger/import` in batches of NDJSON lines
 * in the export format. Every batch is idempotent on the server, so a retry after a lost
 * answer cannot double count. Returns how many rows the server wrote.
 */
export async function pushRows(rows: readonly LedgerRow[], remove: readonly string[], o: PushOptions): Promise<number> {
  const size = o.batch ?? 2000;
  const endpoint = importEndpoint(o.url, o.mode);
  if (!o.fetch) await fetchThroughProxy();
  const lines = [...remove.map((id) => JSON.stringify({ remove: id }) + '\n'), ...rows.map(toJsonLine)];
  let written = 0;
  for (let i = 0; i < lines.length; i += size) {
    written += await sendBatch(endpoint, lines.slice(i, i + size).join(''), o);
  }
  return written;
}

/** The import endpoint under the base URL, its path kept (a Tollgate behind a proxy at `https://h/tollgate`). */
export function importEndpoint(base: string, mode: PushOptions['mode'] = 'upsert'): string {
  const u = new URL(base);
  u.pathname = u.pathname.replace(/\/+$/, '') + '/admin/v1/ledger/import';
  if (mode === 'insert') u.searchParams.set('mode', 'insert');
  return u.toString();
}

/** The `written` count of the server's answer, or undefined when the answer is not Tollgate's (a login page, a proxy's). */
function writtenOf(text: string): number | undefined {
  try {
    const n = (JSON.parse(text) as { written?: unknown } | null)?.written;
    return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

async function sendBatch(endpoint: string, body: string, o: PushOptions): Promise<number> {
  const fetch = o.fetch ?? globalThis.fetch;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const tries = o.tries ?? 5;
  let problem = '';
  for (let attempt = 1; attempt <= tries; attempt++) {
    if (attempt > 1) await sleep(500 * 2 ** (attempt - 2));
    let res: Response;
    try {
      res = await fetch(endpoint, { method: 'POST', headers: { authorization: `Bearer ${o.token}`, 'content-type': 'application/x-ndjson' }, body });
    } catch (err) {
      problem = `cannot reach ${endpoint} (${fetchFailureReason(err)})`;
      continue;
    }
    const text = await res.text();
    if (res.ok) {
      const written = writtenOf(text);
      if (written !== undefined) return written;
      const start = text.trim().slice(0, 60).replace(/\s+/g, ' ');
      problem = `${endpoint} answered ${res.status} with something that is not a Tollgate answer (${start ? `"${start}${text.trim().length > 60 ? '…' : ''}"` : 'empty'}): is the URL the central Tollgate's base URL`;
      break;
    }
    let message = text.trim();
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // not JSON: keep the text
    }
    problem = `${endpoint} answered ${res.status}: ${message.replace(/\.+$/, '')}`;
    if (res.status !== 429 && res.status < 500) break;
  }
  throw new PushError(problem);
}
