import { describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import type { ObjectOwner } from '../../identity/stored-objects.js';
import type { ObjectOwnerStore, OwnedObject } from '../../storage/object-owners.js';
import { lookupRoute } from '../../providers/index.js';
import type { Identity } from '../../identity/identify.js';
import type { ObjectHold } from './access.js';
import { LAPSE_AFTER_MS, LEARN_WAIT_MS, ObjectOwners } from './owners.js';
import { guardObjects } from './guard.js';

const alice = { keyId: 'k-alice', team: 'platform' };
const bob = { keyId: 'k-bob', team: 'data' };
const made = (id: string, o: ObjectOwner = alice): OwnedObject => ({ id, api: 'openai.files', ...o, createdAt: 1 });

/** A store in memory whose writes wait until released, and whose reads can fail or be counted. */
function heldStore() {
  const rows = new Map<string, ObjectOwner & { parent?: string }>();
  const waiting: (() => void)[] = [];
  const s = {
    rows,
    /** When each row was recorded, for a removal of those recorded before a time. */
    madeAt: new Map<string, number>(),
    reads: 0,
    failReads: false,
    failWrites: false,
    /** Runs after each read has taken its answer. */
    afterRead: () => {},
    release: () => waiting.splice(0).forEach((go) => go()),
    store: {
      add: (objects) =>
        new Promise<void>((ok, fail) =>
          waiting.push(() => {
            if (s.failWrites) return fail(new Error('disk full'));
            for (const o of objects) {
              if (rows.has(o.id) && o.replaces !== true) continue;
              rows.set(o.id, { keyId: o.keyId, team: o.team, ...(o.parent === undefined ? {} : { parent: o.parent }) });
              s.madeAt.set(o.id, o.createdAt);
            }
            ok();
          }),
        ),
      remove: (ids, before) =>
        new Promise<void>((ok, fail) =>
          waiting.push(() => {
            if (s.failWrites) return fail(new Error('disk full'));
            const gone = ids.filter((id) => rows.has(id) && (before === undefined || (s.madeAt.get(id) ?? 0) <= before));
            for (const [id, o] of rows) if (gone.includes(id) || (o.parent !== undefined && (before === undefined ? ids : gone).includes(o.parent))) rows.delete(id);
            ok();
          }),
        ),
      owners: (ids) => {
        s.reads++;
        if (s.failReads) return Promise.reject(new Error('connection refused'));
        const found = new Map(ids.filter((id) => rows.has(id)).map((id) => [id, rows.get(id)!]));
        s.afterRead();
        return Promise.resolve(found);
      },
      records: () => Promise.resolve([]),
    } satisfies ObjectOwnerStore,
  };
  return s;
}

describe('the owners of stored objects, in memory and in storage', () => {
  it('lets the creator in at once, before storage has the object, and keeps other teams out', async () => {
    const s = heldStore();
    const owners = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0 });
    owners.made([made('file-1')]);
    await expect(owners.check(['file-1'], alice, 'file')).resolves.toBeDefined();
    await expect(owners.check(['file-1'], { keyId: 'k-carol', team: 'platform' }, 'file')).resolves.toBeDefined();
    await expect(owners.check(['file-1'], bob, 'file')).rejects.toMatchObject({ code: 'object_not_owned', status: 404 });
    expect(s.reads).toBe(0);
    s.release();
    await owners.flush();
    expect(s.rows.get('file-1')).toEqual(alice);
  });

  it('reads storage for an object another gateway made, once more after a moment when it is not there yet', async () => {
    const s = heldStore();
    const owners = new ObjectOwners({ mode: 'key', store: s.store, log: silentLogger, missWaitMs: 30 });
    const elsewhere = new ObjectOwners({ mode: 'key', store: s.store, log: silentLogger });
    elsewhere.made([made('resp_1')]);
    // The other gateway's write lands just after the first read.
    s.afterRead = () => s.release();
    await expect(owners.check(['resp_1'], alice, 'response')).resolves.toBeDefined();
    expect(s.reads).toBe(2);
    // Known now: not read again.
    await owners.check(['resp_1'], alice, 'response');
    expect(s.reads).toBe(2);
    await expect(owners.check(['resp_unknown'], alice, 'response')).rejects.toMatchObject({ code: 'object_not_owned' });
  });

  it('refuses with storage trouble, never lets through, when storage cannot say who made an object', async () => {
    const s = heldStore();
    s.failReads = true;
    const owners = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0 });
    const err = await owners.check(['file-9'], alice, 'file').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'storage_unavailable', status: 503, headers: { 'retry-after': '5' } });
    // It says what could not be told, and why, and that nothing went upstream.
    expect((err as GatewayError).message).toMatch(/whether this key may use the file 'file-9' \(auth\.stored_objects: team\): the storage that records who made each stored object did not answer \(connection refused\)\. Nothing was sent to the provider/);
    const two = (await owners.checkAll([{ ids: ['file-9', 'file-8'], noun: 'file' }, { ids: ['cntr_1'], noun: 'container' }], alice).catch((e: unknown) => e)) as GatewayError;
    expect(two.message).toContain("may use the file 'file-9' and the 2 other objects named");
  });

  it('refuses as storage trouble a read that does not answer in time, naming the wait', async () => {
    const s = heldStore();
    const owners = new ObjectOwners({ mode: 'team', store: { ...s.store, owners: () => new Promise(() => {}) }, log: silentLogger, missWaitMs: 0, readTimeoutMs: 20 });
    await expect(owners.check(['file-9'], alice, 'file')).rejects.toMatchObject({ code: 'storage_unavailable', message: expect.stringContaining('(no answer within 20 ms)') });
  });

  it('keeps owners storage refused and writes them on a later try, an object known already written once', async () => {
    const s = heldStore();
    const owners = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0 });
    s.failWrites = true;
    owners.made([made('file-1')]);
    s.release();
    await owners.flush();
    expect(s.rows.size).toBe(0);
    s.failWrites = false;
    // Its retry timer cleared: the next object takes the kept one with it.
    owners.close();
    owners.made([made('file-1'), made('file-2', bob)]);
    const flushed = owners.flush();
    s.release();
    await flushed;
    expect([...s.rows.keys()].sort()).toEqual(['file-1', 'file-2']);
  });
});

describe('objects made for the owner of another', () => {
  it('gives them to the owner of the object named, read from storage when not known here; to no one when it has none', async () => {
    const s = heldStore();
    s.rows.set('batch_1', alice);
    const owners = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0 });
    await owners.madeFor('batch_1', ['cntr_1', 'cntr_2'], 'openai.batch_request');
    await expect(owners.check(['cntr_1', 'cntr_2'], { keyId: 'k-carol', team: 'platform' }, 'container')).resolves.toBeDefined();
    await expect(owners.check(['cntr_1'], bob, 'container')).rejects.toMatchObject({ code: 'object_not_owned' });
    await owners.madeFor('batch_elsewhere', ['cntr_3'], 'openai.batch_request');
    s.release();
    await owners.flush();
    expect([...s.rows.keys()].sort()).toEqual(['batch_1', 'cntr_1', 'cntr_2']);
    s.failReads = true;
    await expect(owners.madeFor('batch_2', ['cntr_4'], 'openai.batch_request')).rejects.toMatchObject({ code: 'storage_unavailable' });
  });
});

describe('the owners of deleted objects', () => {
  it('forgets a deleted object at once and in storage after the owners written before it, one never written is never written', async () => {
    const s = heldStore();
    const owners = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0 });
    owners.made([made('file-1')]);
    // file-1 is on its way to storage; file-2 waits behind it, and is deleted before it is written.
    owners.made([made('file-2'), made('file-3')]);
    owners.gone(['file-1', 'file-2']);
    await expect(owners.check(['file-1'], alice, 'file')).rejects.toMatchObject({ code: 'object_not_owned' });
    await expect(owners.check(['file-3'], alice, 'file')).resolves.toBeDefined();
    const flushed = owners.flush();
    for (let i = 0; i < 3; i++) {
      s.release();
      await new Promise((r) => setImmediate(r));
    }
    await flushed;
    expect([...s.rows.keys()]).toEqual(['file-3']);
  });

  it('forgets the parts of a deleted object with it (a container and its files): here, in storage, and those not yet written', async () => {
    const s = heldStore();
    const here = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0 });
    const part = (id: string, parent: string): OwnedObject => ({ ...made(id), api: 'openai.container_files', parent });
    here.made([made('cntr_1'), made('cntr_2'), part('cfile_1', 'cntr_1'), part('cfile_2', 'cntr_2')]);
    s.release();
    await here.flush();
    // Another gateway reads a file of the container from storage, then is told the container is gone.
    const there = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0 });
    await expect(there.check(['cfile_1'], alice, 'file')).resolves.toBeDefined();
    there.made([part('cfile_3', 'cntr_1')]);
    there.gone(['cntr_1']);
    // Storage still has the file until the removal is written: a read there does not bring it back.
    await expect(there.check(['cfile_1'], alice, 'file')).rejects.toMatchObject({ code: 'object_not_owned' });
    await expect(there.check(['cfile_3'], alice, 'file')).rejects.toMatchObject({ code: 'object_not_owned' });
    await expect(there.check(['cfile_2'], alice, 'file')).resolves.toBeDefined();
    const flushed = there.flush();
    for (let i = 0; i < 3; i++) {
      s.release();
      await new Promise((r) => setImmediate(r));
    }
    await flushed;
    expect([...s.rows.keys()].sort()).toEqual(['cfile_2', 'cntr_2']);
    // The gateway that made them forgets them once told.
    here.gone(['cntr_2']);
    await expect(here.check(['cfile_2'], alice, 'file')).rejects.toMatchObject({ code: 'object_not_owned' });
  });

  it('forgets the parts of an object the provider no longer has with it, before storage has', async () => {
    const s = heldStore();
    const owners = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0 });
    owners.made([made('cntr_1'), { ...made('cfile_1'), parent: 'cntr_1' }]);
    s.release();
    await owners.flush();
    owners.lapsed(['cntr_1'], LAPSE_AFTER_MS + 1);
    await expect(owners.check(['cfile_1'], alice, 'file')).rejects.toMatchObject({ code: 'object_not_owned' });
    expect(s.rows.has('cfile_1')).toBe(true);
    const flushed = owners.flush();
    s.release();
    await flushed;
    expect(s.rows.size).toBe(0);
  });

  it('removes them again on a later try when storage refused', async () => {
    const s = heldStore();
    s.rows.set('file-9', alice);
    const owners = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0 });
    s.failWrites = true;
    owners.gone(['file-9']);
    s.release();
    await owners.flush();
    expect(s.rows.has('file-9')).toBe(true);
    s.failWrites = false;
    owners.close();
    const flushed = owners.flush();
    await new Promise((r) => setImmediate(r));
    s.release();
    await flushed;
    expect(s.rows.has('file-9')).toBe(false);
  });
});

describe('a request about stored objects, before it goes upstream', () => {
  const found = lookupRoute('POST', '/v1/responses', ['openai']);
  const responses = found.kind === 'match' ? found.route : undefined!;
  const who = { keyId: 'k-alice', keyTeam: 'platform', upstreamKey: { kind: 'configured' } } as Identity;

  it('records the Response a request makes, unless it asks the provider not to store it; its follow-up is checked either way', async () => {
    const owners = new ObjectOwners({ mode: 'team', store: heldStore().store, log: silentLogger, missWaitMs: 0 });
    const stored: ObjectHold = {};
    await guardObjects(owners, stored, responses, { model: 'gpt-5', input: 'hi' }, who);
    expect(stored.owner).toEqual(alice);
    const unstored: ObjectHold = {};
    await guardObjects(owners, unstored, responses, { model: 'gpt-5', input: 'hi', store: false }, who);
    // Still its caller: the containers it runs code in are the caller's.
    expect(unstored).toEqual({ owner: alice, unstored: true });
    await expect(guardObjects(owners, {}, responses, { model: 'gpt-5', store: false, previous_response_id: 'resp_other' }, who)).rejects.toMatchObject({ code: 'object_not_owned' });
  });

  it('records a chat completion only when the provider is told to store it, and a shared mode records it too', () => {
    const chat = lookupRoute('POST', '/v1/chat/completions', ['openai']);
    const route = chat.kind === 'match' ? chat.route : undefined!;
    const messages = [{ role: 'user', content: 'hi' }];
    for (const mode of ['team', 'shared'] as const) {
      const owners = new ObjectOwners({ mode, store: heldStore().store, log: silentLogger, missWaitMs: 0 });
      const stored: ObjectHold = {};
      expect(guardObjects(owners, stored, route, { model: 'gpt-5', messages, store: true }, who)).toBeUndefined();
      expect(stored).toEqual({ owner: alice, storedChat: true });
      for (const store of [undefined, false, 'true']) {
        const hold: ObjectHold = {};
        expect(guardObjects(owners, hold, route, { model: 'gpt-5', messages, store }, who)).toBeUndefined();
        expect(hold).toEqual({ owner: alice });
      }
    }
  });

  it('leaves a caller with its own provider key alone', async () => {
    const owners = new ObjectOwners({ mode: 'key', store: heldStore().store, log: silentLogger, missWaitMs: 0 });
    const hold: ObjectHold = {};
    await guardObjects(owners, hold, responses, { previous_response_id: 'resp_other' }, { ...who, upstreamKey: { kind: 'passthrough', key: 'sk-own' } });
    expect(hold).toEqual({});
  });
});

describe('the owners of objects the provider no longer has', () => {
  it('forgets an object a 404 was answered for, but not one made in the last minutes, here or in storage', async () => {
    const s = heldStore();
    const owners = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0 });
    const now = Date.UTC(2026, 11, 7);
    owners.made([{ ...made('file-old'), createdAt: now - LAPSE_AFTER_MS }, { ...made('file-new'), createdAt: now - 1000 }]);
    s.release();
    await owners.flush();
    owners.lapsed(['file-old', 'file-new'], now);
    await expect(owners.check(['file-old'], alice, 'file')).rejects.toMatchObject({ code: 'object_not_owned' });
    // A provider may not find for a moment what it has just made: that 404 forgets nothing.
    await expect(owners.check(['file-new'], alice, 'file')).resolves.toBeDefined();
    const flushed = owners.flush();
    s.release();
    await flushed;
    expect([...s.rows.keys()]).toEqual(['file-new']);
  });

  it('forgets in storage only an owner recorded long enough ago when this gateway did not see it made', async () => {
    const s = heldStore();
    const now = Date.UTC(2026, 11, 7);
    for (const [id, at] of [['resp_old', now - LAPSE_AFTER_MS - 1], ['resp_new', now - 1000]] as const) {
      s.rows.set(id, alice);
      s.madeAt.set(id, at);
    }
    const owners = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0 });
    await owners.check(['resp_old', 'resp_new'], alice, 'response');
    owners.lapsed(['resp_old', 'resp_new'], now);
    const flushed = owners.flush();
    for (let i = 0; i < 3; i++) {
      s.release();
      await new Promise((r) => setImmediate(r));
    }
    await flushed;
    expect([...s.rows.keys()]).toEqual(['resp_new']);
    // Forgotten in memory, it is read again from storage, which still has it.
    await expect(owners.check(['resp_new'], alice, 'response')).resolves.toBeDefined();
    await expect(owners.check(['resp_old'], alice, 'response')).rejects.toMatchObject({ code: 'object_not_owned' });
  });
});

describe('owners learned from the provider in the background', () => {
  it('makes a check of an id not known wait for a lookup under way, then refuses what it did not find at once', async () => {
    const s = heldStore();
    const owners = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0 });
    let found!: () => void;
    owners.learn(new Promise<void>((r) => (found = () => (owners.made([{ ...made('msg_1'), api: 'openai.conversation_items' }]), r()))), alice);
    let waiting = true;
    const asked = owners.check(['msg_1'], { keyId: 'k-carol', team: 'platform' }, 'item').finally(() => (waiting = false));
    // Another team does not wait for it: refused while the team's check still waits.
    await expect(owners.check(['msg_1'], bob, 'item')).rejects.toMatchObject({ code: 'object_not_owned' });
    expect(waiting).toBe(true);
    setTimeout(found, 20);
    await expect(asked).resolves.toBeDefined();
    await expect(owners.check(['msg_1'], bob, 'item')).rejects.toMatchObject({ code: 'object_not_owned' });
    // The lookup ended: an id it did not find is refused without waiting, and so after a lookup that failed.
    owners.learn(Promise.reject(new Error('upstream down')), alice);
    await expect(owners.check(['msg_2'], alice, 'item')).rejects.toMatchObject({ code: 'object_not_owned' });
    await expect(owners.check(['msg_2'], alice, 'item')).rejects.toMatchObject({ code: 'object_not_owned' });
  });

  it('waits LEARN_WAIT_MS at most for a lookup that does not end, and a flush waits for one that does', async () => {
    vi.useFakeTimers();
    try {
      const s = heldStore();
      const owners = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0 });
      owners.learn(new Promise(() => {}), alice);
      let settled = false;
      const asked = owners.check(['msg_1'], alice, 'item').finally(() => (settled = true));
      asked.catch(() => undefined);
      await vi.advanceTimersByTimeAsync(LEARN_WAIT_MS - 10);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(10);
      await expect(asked).rejects.toMatchObject({ code: 'object_not_owned' });
    } finally {
      vi.useRealTimers();
    }
    const s = heldStore();
    const owners = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0 });
    owners.learn(new Promise<void>((r) => setTimeout(() => (owners.made([made('msg_9')]), r()), 20)), alice);
    const flushed = owners.flush();
    setTimeout(() => s.release(), 40);
    await flushed;
    expect(s.rows.get('msg_9')).toEqual(alice);
  });
});

describe('objects made again under their name', () => {
  it('gives a name its uploader chose to its new uploader, over an owner recorded for it and a removal not yet written', async () => {
    const s = heldStore();
    s.rows.set('files/report', alice);
    s.rows.set('files/notes', alice);
    const owners = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0 });
    await expect(owners.check(['files/report'], alice, 'file')).resolves.toBeDefined();
    owners.made([{ ...made('files/report', bob), api: 'gemini.files', replaces: true }]);
    await expect(owners.check(['files/report'], bob, 'file')).resolves.toBeDefined();
    await expect(owners.check(['files/report'], alice, 'file')).rejects.toMatchObject({ code: 'object_not_owned' });
    // Deleted, then made again before storage heard of the delete: the new owner stays.
    owners.gone(['files/notes']);
    owners.made([{ ...made('files/notes', bob), api: 'gemini.files', replaces: true }]);
    // A plain record of another owner does not take it back.
    owners.made([made('files/report', alice)]);
    const flushed = owners.flush();
    for (let i = 0; i < 3; i++) {
      s.release();
      await new Promise((r) => setImmediate(r));
    }
    await flushed;
    expect(s.rows.get('files/report')).toEqual(bob);
    expect(s.rows.get('files/notes')).toEqual(bob);
    await expect(owners.check(['files/notes'], bob, 'file')).resolves.toBeDefined();
  });
});
