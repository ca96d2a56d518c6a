import { isoOrNull } from '../core/instant.js';
import type { KeyRecord, KeyStore } from '../storage/ports.js';
import { generateKey, newKeyId } from './virtual-keys.js';

export interface NewKeyInput {
  user: string | null;
  team: string | null;
  project: string | null;
  name?: string | null;
  /** When the key stops working (ms); none, it works until revoked. */
  expiresAt?: number | null;
}

/** The shape `keys create --json` and `POST /admin/v1/keys` print. The key itself is shown only here. */
export interface CreatedKey {
  id: string;
  key: string;
  user: string | null;
  team: string | null;
  project: string | null;
  /** ISO 8601, or null for a key that does not expire. */
  expires_at: string | null;
}

const LABEL = /^[A-Za-z0-9_.@:+-]{1,128}$/;

/** Validates attribution labels so reports group cleanly. Returns an error message, if any. */
export function checkKeyInput(input: NewKeyInput): string | undefined {
  for (const [field, value] of Object.entries({ user: input.user, team: input.team, project: input.project })) {
    if (value !== null && !LABEL.test(value)) return `${field} must be 1-128 characters of letters, digits and _ . @ : + -`;
  }
  if (input.user === null && input.team === null && input.project === null) return 'a key needs at least a user, a team or a project';
  return undefined;
}

export async function createKey(store: KeyStore, input: NewKeyInput, now = Date.now()): Promise<CreatedKey> {
  const problem = checkKeyInput(input);
  if (problem) throw new RangeError(problem);
  const { key, hash, prefix } = generateKey();
  const rec = await store.create({ id: newKeyId(), hash, prefix, user: input.user, team: input.team, project: input.project, name: input.name ?? null, createdAt: now, expiresAt: input.expiresAt ?? null });
  return { id: rec.id, key, user: rec.user, team: rec.team, project: rec.project, expires_at: isoOrNull(rec.expiresAt) };
}

/** A key as listings show it: never the key, only its prefix. */
export interface PublicKey {
  id: string;
  prefix: string;
  user: string | null;
  team: string | null;
  project: string | null;
  name: string | null;
  created_at: string;
  revoked_at: string | null;
  expires_at: string | null;
}

export function publicKey(k: KeyRecord): PublicKey {
  return {
    id: k.id,
    prefix: k.prefix,
    user: k.user,
    team: k.team,
    project: k.project,
    name: k.name,
    created_at: new Date(k.createdAt).toISOString(),
    revoked_at: isoOrNull(k.revokedAt),
    expires_at: isoOrNull(k.expiresAt),
  };
}

