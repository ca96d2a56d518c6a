import type { KeyRecord } from './ports.js';

/** A row of `api_keys` as both SQL stores read it (bigint or string timestamps alike). */
export function keyFromRecord(r: Record<string, unknown>): KeyRecord {
  return {
    id: String(r.id),
    prefix: String(r.prefix),
    user: (r.user_name as string | null) ?? null,
    team: (r.team as string | null) ?? null,
    project: (r.project as string | null) ?? null,
    name: (r.name as string | null) ?? null,
    createdAt: Number(r.created_at),
    revokedAt: r.revoked_at === null || r.revoked_at === undefined ? null : Number(r.revoked_at),
    expiresAt: r.expires_at === null || r.expires_at === undefined ? null : Number(r.expires_at),
  };
}
