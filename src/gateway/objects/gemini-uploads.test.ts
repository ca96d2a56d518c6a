import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import type { Identity } from '../../identity/identify.js';
import type { ObjectOwner } from '../../identity/stored-objects.js';
import type { ObjectOwnerStore } from '../../storage/object-owners.js';
import { admitGeminiUpload, uploadAnswer, uploadSessionId } from './gemini-uploads.js';
import { ObjectOwners } from './owners.js';

const MB = 1024 * 1024;

/** A storage both gateways share: what one writes, the other reads. */
function sharedStore(): { rows: Map<string, ObjectOwner>; store: ObjectOwnerStore } {
  const rows = new Map<string, ObjectOwner>();
  return {
    rows,
    store: {
      add: (objects) => {
        for (const o of objects) if (o.replaces || !rows.has(o.id)) rows.set(o.id, { keyId: o.keyId, team: o.team });
        return Promise.resolve();
      },
      owners: (ids) => Promise.resolve(new Map(ids.filter((id) => rows.has(id)).map((id) => [id, rows.get(id)!]))),
      records: () => Promise.resolve([]),
      remove: (ids) => {
        for (const id of ids) rows.delete(id);
        return Promise.resolve();
      },
    },
  };
}

const who = (keyId: string | null, team: string | null, passthrough = false): Identity => ({
  keyId,
  keyTeam: team,
  team,
  user: null,
  project: null,
  sessionId: null,
  client: null,
  tags: {},
  upstreamKey: passthrough ? { kind: 'passthrough', key: 'AIza-own' } : { kind: 'configured' },
});
const alice = who('k-alice', 'platform');
const carol = who('k-carol', 'platform');
const started = 'https://generativelanguage.googleapis.com/upload/v1beta/files?upload_id=UP1&upload_protocol=resumable';
const chunk = (offset: number) => ({ 'x-goog-upload-command': 'upload', 'x-goog-upload-offset': String(offset) });

describe('a Gemini upload, from its start to its last chunk', () => {
  it('points the upload URL given at the gateway and takes the bytes only from its starter, on another gateway too', async () => {
    const s = sharedStore();
    const here = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0 });
    const there = new ObjectOwners({ mode: 'team', store: s.store, log: silentLogger, missWaitMs: 0 });
    const start = await admitGeminiUpload(here, alice, { 'x-goog-upload-header-content-length': String(3 * MB) }, new URLSearchParams(), 4 * MB);
    expect(start).toEqual({ request: { offset: 0, declaredSize: 3 * MB }, room: 4 * MB });
    const headers: Record<string, string | string[] | undefined> = { 'x-goog-upload-url': started, 'x-goog-upload-status': 'active' };
    uploadAnswer({ objects: here, owner: { keyId: 'k-alice', team: 'platform' }, request: start.request, providerBase: 'https://generativelanguage.googleapis.com', gatewayBase: 'http://gw/p/gemini', clientKey: undefined })(200, headers);
    expect(headers['x-goog-upload-url']).toBe('http://gw/p/gemini/upload/v1beta/files?upload_id=UP1&upload_protocol=resumable');
    // Known here at once; the other gateway reads it from storage once written.
    await expect(admitGeminiUpload(here, alice, chunk(0), new URLSearchParams('upload_id=UP1'), 4 * MB)).resolves.toMatchObject({ room: 4 * MB });
    await here.flush();
    expect(s.rows.get(uploadSessionId('UP1'))).toEqual({ keyId: 'k-alice', team: 'platform' });
    // The upload_id itself is not kept.
    expect(JSON.stringify([...s.rows.keys()])).not.toContain('UP1');
    await expect(admitGeminiUpload(there, alice, chunk(MB), new URLSearchParams('upload_id=UP1'), 4 * MB)).resolves.toMatchObject({ request: { uploadId: 'UP1', offset: MB }, room: 3 * MB });
    // Another key, of the same team or not, or a key of its own: refused.
    for (const other of [carol, who('k-bob', 'data'), who(null, null, true)]) {
      await expect(admitGeminiUpload(there, other, chunk(MB), new URLSearchParams('upload_id=UP1'), 4 * MB)).rejects.toMatchObject({ code: 'object_not_owned', status: 404 });
    }
    // An upload no Tollgate key started: a caller's own key may go on with it (its own account); a Tollgate key may not.
    await expect(admitGeminiUpload(there, who(null, null, true), chunk(0), new URLSearchParams('upload_id=ELSEWHERE'), 4 * MB)).resolves.toBeDefined();
    await expect(admitGeminiUpload(there, alice, chunk(0), new URLSearchParams('upload_id=ELSEWHERE'), 4 * MB)).rejects.toMatchObject({ code: 'object_not_owned' });
    // Past the limit, by its declared size or its offset.
    await expect(admitGeminiUpload(here, alice, { 'x-goog-upload-header-content-length': String(5 * MB) }, new URLSearchParams(), 4 * MB)).rejects.toMatchObject({ code: 'body_too_large', status: 413 });
    await expect(admitGeminiUpload(here, alice, chunk(5 * MB), new URLSearchParams('upload_id=UP1'), 4 * MB)).rejects.toMatchObject({ code: 'body_too_large' });
    // The last answer ends it.
    const last = { 'x-goog-upload-status': 'final' };
    uploadAnswer({ objects: there, owner: { keyId: 'k-alice', team: 'platform' }, request: { uploadId: 'UP1', offset: 3 * MB }, providerBase: 'x', gatewayBase: 'http://gw', clientKey: undefined })(200, last);
    await there.flush();
    expect(s.rows.has(uploadSessionId('UP1'))).toBe(false);
    await expect(admitGeminiUpload(there, alice, chunk(0), new URLSearchParams('upload_id=UP1'), 4 * MB)).rejects.toMatchObject({ code: 'object_not_owned' });
  });

  it('leaves an error answer alone, and drops an upload URL it cannot read', () => {
    const o = new ObjectOwners({ mode: 'team', store: sharedStore().store, log: silentLogger });
    const edit = uploadAnswer({ objects: o, owner: { keyId: 'k', team: null }, request: { offset: 0 }, providerBase: 'https://generativelanguage.googleapis.com', gatewayBase: 'http://gw', clientKey: 'tg_k' });
    const refused = { 'x-goog-upload-url': started };
    edit(403, refused);
    expect(refused['x-goog-upload-url']).toBe(started);
    const odd: Record<string, string | undefined> = { 'x-goog-upload-url': 'http://[bad?key=AIza' };
    edit(200, odd);
    expect(odd['x-goog-upload-url']).toBeUndefined();
    const control = { 'x-goog-upload-control-url': started };
    edit(200, control);
    expect(control['x-goog-upload-control-url']).toBe('http://gw/upload/v1beta/files?upload_id=UP1&upload_protocol=resumable&key=tg_k');
  });
});
