import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LedgerRow } from '../core/ledger-row.js';
import { type Picos, formatUsd } from '../core/money.js';
import { pricedAtTier } from '../core/service-tier.js';
import { usageOf } from '../core/usage.js';
import type { PriceFn } from '../metering/build-row.js';
import { parseLedgerLine } from '../importers/ledger-format.js';
import { CLAUDE_CODE_LOG, CODEX_LOG, isLogRow, keepStoredLogCopy } from '../importers/row.js';
import type { KeyRecord } from '../storage/ports.js';
import type { Storage } from '../storage/ports.js';
import { ClientLeft } from '../gateway/read-body.js';
import { decodeContent } from '../gateway/content-encoding.js';
import { JSON_LINES_TYPES, checkBodyType, sendAdminError, sendJson } from './json-response.js';
import { checkParams } from './admin-query.js';

/** A batch is at most this big: `tollgate import --push` sends 2,000 rows per request. */
const MAX_BODY = 64 * 1024 * 1024;

/**
 * `POST /admin/v1/ledger/import`: rows pushed by `tollgate import --push`, one per line in
 * the export's JSONL format, plus `{"remove":"<id>"}` lines for records an import
 * replaced under a new id. Idempotent: rows are upserted by id (a resent batch changes
 * nothing), and a request another source already recorded counts once.
 */
export async function postLedgerImport(storage: Storage, req: IncomingMessage, res: ServerResponse, query: URLSearchParams, owner?: KeyRecord, hooks: ImportHooks = {}): Promise<void> {
  // `mdoe=insert` would otherwise upsert, changing rows the ledger already has.
  checkParams(query, owner ? 'POST /admin/v1/me/ledger/import' : 'POST /admin/v1/ledger/import', ['mode']);
  const mode = query.get('mode') ?? 'upsert';
  if (mode !== 'upsert' && mode !== 'insert') return sendAdminError(res, 400, 'invalid_request', `mode must be upsert or insert, not "${mode}"`);
  if (owner && mode === 'insert') return sendAdminError(res, 403, 'forbidden', 'A ledger file is loaded with the admin token; a Tollgate key pushes its own agent logs.');
  // JSON lines, as `tollgate import --push` sends them: a file sent as a form or as text is refused before it is read.
  checkBodyType(req, JSON_LINES_TYPES);
  const text = await readText(req);
  if (text === undefined) return sendAdminError(res, 413, 'invalid_request', `request body larger than ${MAX_BODY} bytes`);
  const rows: LedgerRow[] = [];
  const remove: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    try {
      const removal = removalOf(line);
      if (removal === undefined) rows.push(priced(owner ? ownRow(parseLedgerLine(line), owner) : parseLedgerLine(line), mode, hooks));
      else if (mode === 'insert') return sendAdminError(res, 400, 'invalid_request', `line ${i + 1}: a removal, which mode=insert does not take (it keeps rows as they are)`);
      else remove.push(removal);
    } catch (err) {
      return sendAdminError(res, 400, 'invalid_request', `line ${i + 1}: ${(err as Error).message}`);
    }
  }
  const charge = hooks.catchUp !== undefined;
  const cost_usd = formatUsd(rows.reduce((sum, r) => sum + (r.costPicos ?? 0n), 0n));
  if (mode === 'insert') {
    const written = await (charge ? storage.ledger.insertCharged(rows) : storage.ledger.insert(rows));
    await hooks.catchUp?.();
    return sendJson(res, 200, { received: rows.length, removed: 0, written, cost_usd });
  }
  // What there is to remove, asked first: an id the ledger never held is not a removal.
  const stored = (await Promise.all([...new Set(remove)].map((id) => storage.ledger.get(id)))).filter((r) => r !== undefined);
  const foreign = owner && stored.find((r) => !ownsRow(owner, r));
  if (foreign) return sendAdminError(res, 403, 'forbidden', `This key cannot remove row ${foreign.id}: it is not a log row of ${owner.user ?? owner.id}.`);
  const present = stored.length;
  // Pushed from several machines, a log record keeps its largest copy, whoever pushed last (an older copy had shrunk it and changed its user).
  // A key replaces only what it could remove: with a gateway row's id (its own request's, from x-tollgate-request-id)
  // a zero-usage log row took that row's place, and its spend left the ledger and the budget counters.
  const keep = owner ? (stored: LedgerRow, incoming: LedgerRow) => !ownsRow(owner, stored) || keepStoredLogCopy(stored, incoming) : keepStoredLogCopy;
  const written = await storage.ledger.upsert(rows, remove, { keep, charge });
  // Counted as the gateway's own traffic is, before the answer: a reconcile right after agrees.
  await hooks.catchUp?.();
  sendJson(res, 200, { received: rows.length, removed: present, written, cost_usd });
}

/** What the gateway lends the import: its pricer and its budget counters (both absent in tests of storage alone). */
export interface ImportHooks {
  /** Prices a row as the gateway prices its own traffic (its catalog, overrides and discounts). */
  price?: (row: LedgerRow) => { costPicos: Picos | null; unpriced: boolean };
  /** Adds the spend just written to the budget counters (src/policy/import-charges.ts). */
  catchUp?: () => Promise<void>;
}

/** The gateway's pricer for pushed rows: the row's own provider name when no configured provider of that name says which catalog it uses (as `tollgate import` prices them). */
export function importPricer(price: PriceFn, catalogOf: (provider: string) => string | undefined): NonNullable<ImportHooks['price']> {
  // At the tier it was recorded at: Claude Code's fast mode, US-only inference.
  return (r) => price({ provider: r.provider, catalogProvider: catalogOf(r.provider) ?? r.provider, model: r.model, at: new Date(r.ts), ...pricedAtTier(usageOf(r), r.serviceTier) });
}

/**
 * A pushed agent log row priced here, whatever cost the pusher computed (its own config, or
 * none: list prices), as docs/import.md promises. A ledger file's rows (mode=insert) and other
 * sources' rows keep the cost they were recorded with.
 */
function priced(r: LedgerRow, mode: string, hooks: ImportHooks): LedgerRow {
  if (mode !== 'upsert' || !hooks.price || !isLogRow(r)) return r;
  const p = hooks.price(r);
  return { ...r, costPicos: p.costPicos, unpriced: p.unpriced };
}

/**
 * A row pushed with a developer's key: a log row only (never a gateway row, which only the
 * gateway writes), attributed as the gateway attributes the key's requests: its user, team and
 * project win, the row's fill what it leaves blank.
 */
function ownRow(r: LedgerRow, k: KeyRecord): LedgerRow {
  if (!isLogRow(r)) throw new RangeError(`a Tollgate key pushes agent log rows only (source ${CLAUDE_CODE_LOG} or ${CODEX_LOG}), not "${r.source}": load other rows with the admin token`);
  return { ...r, keyId: k.id, user: k.user ?? r.user, team: k.team ?? r.team, project: k.project ?? r.project };
}

/** Whether a stored row is one the key may remove: a log row pushed with it, or its user's. */
function ownsRow(k: KeyRecord, r: LedgerRow): boolean {
  return isLogRow(r) && (r.keyId === k.id || (k.user !== null && r.user === k.user));
}

/** The id of a `{"remove":"<id>"}` line (any JSON spacing), or undefined for any other line; a RangeError for a `remove` that is no id. */
function removalOf(line: string): string | undefined {
  if (!line.includes('"remove"')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  const keys = typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.keys(v) : [];
  if (keys.length !== 1 || keys[0] !== 'remove') return undefined;
  const id = (v as { remove: unknown }).remove;
  // A line of "remove" alone is a removal: read as a row, it would be refused for a field it never meant to have.
  if (typeof id !== 'string' || id === '') throw new RangeError('remove must be the id (a non-empty string) of the row to remove');
  return id;
}

function readText(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) over = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (over) return resolve(undefined);
      try {
        resolve(decodeContent(Buffer.concat(chunks), req.headers['content-encoding'], MAX_BODY, null).toString('utf8'));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    // The one way a request errors while it is read: the client hung up mid-upload.
    req.on('error', (err) => reject(new ClientLeft(err)));
  });
}
