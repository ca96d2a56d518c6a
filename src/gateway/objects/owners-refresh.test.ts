import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import type { ObjectOwner } from '../../identity/stored-objects.js';
import type { ObjectOwnerStore } from '../../storage/object-owners.js';
import { ObjectOwners } from './owners.js';

const alice = { keyId: 'k-alice', team: 'platform' };
const bob = { keyId: 'k-bob', team: 'data' };
const platform = { keyId: null, team: 'platform' };

/** Storage another process (the CLI) writes to behind the gateway's back: `rows`; reads counted, able to fail or hang. */
function sharedStore() {
  const rows = new Map<string, ObjectOwner>();
  const s = {
    rows,
    reads: 0,
    fail: false,
    hang: false,
    /** Writes wait for this, when set. */
    held: undefined as Promise<void> | undefined,
    store: {
      add: async (objects) => {
        await s.held;
        for (const o of objects) if (o.replaces || !rows.has(o.id)) rows.set(o.id, { keyId: o.keyId, team: o.team });
      },
      owners: (ids) => {
        s.reads++;
        if (s.hang) return new Promise(() => {});
        if (s.fail) return Promise.reject(new Error('connection refused'));
        return Promise.resolve(new Map(ids.filter((id) => rows.has(id)).map((id) => [id, rows.get(id)!])));
      },
      records: () => Promise.resolve([]),
      remove: (ids) => {
        for (const id of ids) rows.delete(id);
        return Promise.resolve();
      },
    } satisfies ObjectOwnerStore,
  };
  return s;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('owners an admin changes from another process', () => {
  it('reads an owner known in memory again once refreshMs has passed: a new owner takes it, one taken away refuses it', async () => {
    const s = sharedStore();
    s.rows.set('vs_1', alice);
    const owners = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0, refreshMs: 40 });
    await expect(owners.check(['vs_1'], alice, 'vector store')).resolves.toBeDefined();
    // `tollgate objects assign vs_1 --key k-bob --force`, in another process.
    s.rows.set('vs_1', bob);
    await expect(owners.check(['vs_1'], alice, 'vector store')).resolves.toBeDefined();
    expect(s.reads).toBe(1);
    await pause(50);
    await expect(owners.check(['vs_1'], alice, 'vector store')).rejects.toMatchObject({ code: 'object_not_owned' });
    await expect(owners.check(['vs_1'], bob, 'vector store')).resolves.toBeDefined();
    // Agreed with storage just now: not read again before refreshMs.
    const reads = s.reads;
    await owners.check(['vs_1'], bob, 'vector store');
    expect(s.reads).toBe(reads);
    // `tollgate objects forget vs_1`.
    s.rows.delete('vs_1');
    await pause(50);
    await expect(owners.check(['vs_1'], bob, 'vector store')).rejects.toMatchObject({ code: 'object_not_owned' });
    // Given to a team: every key of it, and no other.
    s.rows.set('vs_1', platform);
    await expect(owners.check(['vs_1'], { keyId: 'k-carol', team: 'platform' }, 'vector store')).resolves.toBeDefined();
    await expect(owners.check(['vs_1'], bob, 'vector store')).rejects.toMatchObject({ code: 'object_not_owned' });
  });

  it('keeps an owner made here that storage has yet to be given, however long the write takes', async () => {
    const s = sharedStore();
    let release!: () => void;
    s.held = new Promise((r) => (release = r));
    const owners = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0, refreshMs: 10 });
    owners.made([{ id: 'file-1', api: 'openai.files', ...alice, createdAt: Date.now() }]);
    await pause(20);
    await expect(owners.check(['file-1'], alice, 'file')).resolves.toBeDefined();
    expect(s.reads).toBe(0);
    release();
    await owners.flush();
    // Written: read again from now on, as any other.
    await pause(20);
    await owners.check(['file-1'], alice, 'file');
    expect(s.reads).toBe(1);
  });

  it('goes on with the owners it knows while storage fails or hangs, waiting on it once, not on every request', async () => {
    const s = sharedStore();
    s.rows.set('file-1', alice);
    const owners = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0, refreshMs: 10, readTimeoutMs: 50 });
    await owners.check(['file-1'], alice, 'file');
    s.hang = true;
    await pause(20);
    let t = Date.now();
    await expect(owners.check(['file-1'], alice, 'file')).resolves.toBeDefined();
    expect(Date.now() - t).toBeGreaterThanOrEqual(45);
    await pause(20);
    t = Date.now();
    await expect(owners.check(['file-1'], alice, 'file')).resolves.toBeDefined();
    expect(Date.now() - t).toBeLessThan(40);
    await expect(owners.check(['file-1'], bob, 'file')).rejects.toMatchObject({ code: 'object_not_owned' });
    // An object it does not know is still refused as storage trouble.
    s.hang = false;
    s.fail = true;
    await expect(owners.check(['file-2'], alice, 'file')).rejects.toMatchObject({ code: 'storage_unavailable' });
    // Storage back: the change it missed is read, behind a request or two.
    s.fail = false;
    s.rows.set('file-1', bob);
    let read = false;
    for (let i = 0; i < 20 && !read; i++) {
      await pause(20);
      read = await owners.check(['file-1'], bob, 'file').then(() => true, () => false);
    }
    expect(read).toBe(true);
  });

  it('takes an owner the admin API gave or took away at once, over a write of its own still queued for that id', async () => {
    const s = sharedStore();
    let release!: () => void;
    s.held = new Promise((r) => (release = r));
    const owners = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0 });
    owners.made([{ id: 'file-0', api: 'openai.files', ...alice, createdAt: Date.now() }]);
    owners.made([{ id: 'file-1', api: 'openai.files', ...alice, createdAt: Date.now() }]);
    s.rows.set('file-1', platform);
    owners.assigned('file-1', platform);
    await expect(owners.check(['file-1'], { keyId: 'k-carol', team: 'platform' }, 'file')).resolves.toBeDefined();
    release();
    await owners.flush();
    expect(s.rows.get('file-1')).toEqual(platform);
    owners.assigned('file-1', undefined);
    s.rows.delete('file-1');
    await expect(owners.check(['file-1'], { keyId: 'k-carol', team: 'platform' }, 'file')).rejects.toMatchObject({ code: 'object_not_owned' });
  });
});
