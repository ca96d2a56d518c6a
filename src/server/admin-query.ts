import { closest } from '../core/closest.js';
import { parseTimeWindow } from '../reports/time.js';
import type { AuditPlace } from '../storage/ports.js';

/**
 * Refuses, with a RangeError (a 400) naming it, a query parameter `route` does not take, and one
 * it takes once given more than once: ignored, they answered as if they were not there
 * (`/keys?limit=1` listed every key, `/report?by=team&by=user` grouped by team alone).
 */
export function checkParams(query: URLSearchParams, route: string, takes: readonly string[], repeatable: readonly string[] = []): void {
  for (const name of new Set(query.keys())) {
    if (!takes.includes(name)) {
      const near = closest(name, takes);
      const known = takes.length > 0 ? `it takes ${takes.join(', ')}` : 'it takes none';
      throw new RangeError(`unknown query parameter "${name}"${near ? ` (did you mean "${near}"?)` : ''}: ${route} does not take it; ${known}`);
    }
    const n = query.getAll(name).length;
    if (n > 1 && !repeatable.includes(name)) throw new RangeError(`query parameter "${name}" is given ${n} times: ${route} takes it once`);
  }
}

/**
 * A filter's value (`?kind=pr_merged`), undefined when the parameter is left out. Given empty
 * (`?kind=`, a script's unset variable) it is refused rather than read as no filter, which would
 * answer for everything.
 */
export function filterParam(query: URLSearchParams, name: string): string | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  if (v.trim() === '') throw new RangeError(`${name} must not be empty: give it a value, or leave it out`);
  return v;
}

/** `GET /admin/v1/report`'s parameters: `by` repeated, comma-separated, or both, as the CLI's `--by` takes several. */
export function reportParams(query: URLSearchParams): string[] {
  checkParams(query, 'GET /admin/v1/report', ['since', 'until', 'by', 'format'], ['by']);
  return query.getAll('by').flatMap((b) => b.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** `GET /admin/v1/keys`'s parameters. */
export function keyListParams(query: URLSearchParams): void {
  checkParams(query, 'GET /admin/v1/keys', ['include_revoked']);
}

export const AUDIT_MAX_LIMIT = 10_000;

/** `GET /admin/v1/audit`'s parameters: a window, a page size, and where the previous page ended. */
export function auditParams(query: URLSearchParams, now: number): { since?: number; until?: number; before?: AuditPlace; limit: number } {
  checkParams(query, 'GET /admin/v1/audit', ['since', 'until', 'limit', 'cursor']);
  const limitText = query.get('limit');
  const limit = limitText === null ? 100 : /^\d+$/.test(limitText) ? Number(limitText) : NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_MAX_LIMIT) throw new RangeError(`limit must be a whole number from 1 to ${AUDIT_MAX_LIMIT}`);
  const cursor = query.get('cursor');
  return { ...parseTimeWindow(query.get('since'), query.get('until'), now), before: cursor === null ? undefined : auditPlace(cursor), limit };
}

/** The `next_cursor` of a page of the audit log that ends at `p`. */
export function auditCursor(p: AuditPlace): string {
  return Buffer.from(`${p.ts}.${p.seq}`).toString('base64url');
}

function auditPlace(cursor: string): AuditPlace {
  const m = /^(-?\d{1,16})\.(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  const p = m ? { ts: Number(m[1]), seq: Number(m[2]) } : undefined;
  if (!p || !Number.isSafeInteger(p.ts) || !Number.isSafeInteger(p.seq) || auditCursor(p) !== cursor) {
    throw new RangeError(`cursor "${cursor}" is not one this route gave: pass the next_cursor of the previous page as it came`);
  }
  return p;
}
