import type { Identity } from './identify.js';

/**
 * Who may use an object a provider stores for Tollgate's own key (a file, a batch, a stored Response,
 * a Gemini cache), `auth.stored_objects`: the keys of the creating key's team (`team`), the creating
 * key alone (`key`), or every key served by the provider (`shared`, as before the setting).
 */
export type StoredObjectsMode = 'team' | 'key' | 'shared';

export const STORED_OBJECTS_MODES: readonly StoredObjectsMode[] = ['team', 'key', 'shared'];

/** The key that made an object, and that key's own team (never one a header named). */
export interface ObjectOwner {
  /** The Tollgate key's id; null for a caller without a key (`auth.anonymous: allow`). */
  keyId: string | null;
  team: string | null;
}

/**
 * The owner a caller's new objects get, and whose rights it asks with: undefined for a caller
 * whose own provider key was passed through, whose objects live in its own provider account.
 */
export function ownerOf(who: Pick<Identity, 'keyId' | 'keyTeam' | 'upstreamKey'>): ObjectOwner | undefined {
  return who.upstreamKey.kind === 'passthrough' ? undefined : { keyId: who.keyId, team: who.keyTeam };
}

/**
 * An owner with a team and no key: a team's, given it by an admin (`tollgate objects assign --team`),
 * never the maker's (an anonymous caller's objects have neither).
 */
export function isTeamOwner(owner: ObjectOwner): boolean {
  return owner.keyId === null && owner.team !== null;
}

/**
 * Whether `caller` may use an object made by `owner` (undefined: not made through Tollgate, or
 * before it recorded owners). A key without a team shares with no other key, even under `team`.
 * An object an admin gave a team is every key of that team's, under `key` too: no key made it, and
 * the admin named who may use it.
 */
export function mayUse(mode: StoredObjectsMode, owner: ObjectOwner | undefined, caller: ObjectOwner): boolean {
  if (mode === 'shared') return true;
  if (owner === undefined) return false;
  // Before the key test: an anonymous caller's null key must not match a team's owner.
  if (isTeamOwner(owner)) return owner.team === caller.team;
  if (owner.keyId === caller.keyId) return true;
  return mode === 'team' && owner.team !== null && owner.team === caller.team;
}
