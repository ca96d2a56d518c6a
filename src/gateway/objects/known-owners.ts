import type { OwnedObject, RecordedOwner } from '../../storage/object-owners.js';

/**
 * An owner known in memory; `madeAt` when this gateway saw the object made; `parent`, the object it is
 * part of; `readAt` when storage last agreed (or when it was made here); `unwritten` while storage has
 * yet to be given it, so has nothing to refresh it from.
 */
export type Known = RecordedOwner & { madeAt?: number; readAt: number; unwritten?: boolean };

/** The owners a gateway knows in memory (ObjectOwners), at most `max`, each object's parts (OwnedObject.parent) with it. */
export class KnownOwners {
  private readonly known = new Map<string, Known>();
  /** The parts of each object among `known`: forgotten with it. */
  private readonly parts = new Map<string, Set<string>>();
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  get(id: string): Known | undefined {
    return this.known.get(id);
  }

  /** Whether the id was not known before. */
  keep(id: string, owner: Known): boolean {
    if (this.known.has(id)) return false;
    // Oldest first by insertion order: a full map forgets the longest known, which storage still has.
    if (this.known.size >= this.max) this.drop(this.known.keys().next().value!, false);
    this.known.set(id, owner);
    if (owner.parent !== undefined) {
      const parts = this.parts.get(owner.parent) ?? new Set<string>();
      this.parts.set(owner.parent, parts.add(id));
    }
    return true;
  }

  /** Forgets an owner in memory; `withParts`: its parts' too (the object is gone, not just let go of). */
  drop(id: string, withParts: boolean): void {
    const parent = this.known.get(id)?.parent;
    this.known.delete(id);
    if (parent !== undefined) {
      const siblings = this.parts.get(parent);
      siblings?.delete(id);
      if (siblings?.size === 0) this.parts.delete(parent);
    }
    if (!withParts) return;
    for (const part of this.parts.get(id) ?? []) this.known.delete(part);
    this.parts.delete(id);
  }
}

/** What memory keeps of an object just made, not yet written. */
export function knownOf(o: OwnedObject, now: number): Known {
  return { keyId: o.keyId, team: o.team, madeAt: o.createdAt, readAt: now, unwritten: true, ...(o.parent === undefined ? {} : { parent: o.parent }) };
}
