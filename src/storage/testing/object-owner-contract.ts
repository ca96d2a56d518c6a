import { expect, it } from 'vitest';
import type { Storage } from '../ports.js';

/** Stored objects' owners behave the same on every adapter. Call inside a describe(). */
export function objectOwnerContract(open: () => Promise<Storage>): void {
  it('records the first owner of each stored object, reads owners back by id and forgets deleted ones, many at once', async () => {
    const s = await open();
    try {
      const at = Date.UTC(2026, 11, 7);
      await s.objects.add([
        { id: 'file-a', api: 'openai.files', keyId: 'k1', team: 'platform', createdAt: at },
        { id: 'cachedContents/x y', api: 'gemini.caches', keyId: null, team: null, createdAt: at },
      ]);
      // Recorded again by another key (a second gateway that saw the same answer): the first owner stays.
      await s.objects.add([{ id: 'file-a', api: 'openai.files', keyId: 'k2', team: 'data', createdAt: at + 1 }]);
      expect(await s.objects.owners(['file-a', 'cachedContents/x y', 'nothing'])).toEqual(
        new Map([
          ['file-a', { keyId: 'k1', team: 'platform' }],
          ['cachedContents/x y', { keyId: null, team: null }],
        ]),
      );
      // Made again under the same name (a Gemini file its uploader named, the first one expired): the new owner replaces it.
      await s.objects.add([{ id: 'files/report', api: 'gemini.files', keyId: 'k1', team: 'platform', createdAt: at, replaces: true }]);
      await s.objects.add([{ id: 'files/report', api: 'gemini.files', keyId: 'k2', team: 'data', createdAt: at + 5, replaces: true }]);
      expect(await s.objects.owners(['files/report'])).toEqual(new Map([['files/report', { keyId: 'k2', team: 'data' }]]));
      await s.objects.remove(['files/report'], at + 4);
      expect((await s.objects.owners(['files/report'])).size).toBe(1);
      // More than one statement's worth, in one call each way.
      const many = Array.from({ length: 250 }, (_, i) => ({ id: `resp_${i}`, api: 'openai.responses', keyId: `k${i % 3}`, team: i % 2 ? 'a' : null, createdAt: at + i }));
      await s.objects.add(many);
      const back = await s.objects.owners(many.map((o) => o.id));
      expect(back.size).toBe(250);
      expect(back.get('resp_249')).toEqual({ keyId: 'k0', team: 'a' });
      expect(await s.objects.owners([])).toEqual(new Map());
      // Deleted through the gateway: forgotten, many at once; an id never recorded is no trouble.
      await s.objects.remove(['file-a', 'nothing', ...many.slice(0, 200).map((o) => o.id)]);
      expect(await s.objects.owners(['file-a', 'cachedContents/x y'])).toEqual(new Map([['cachedContents/x y', { keyId: null, team: null }]]));
      expect((await s.objects.owners(many.map((o) => o.id))).size).toBe(50);
      await s.objects.remove([]);
      // Gone at the provider (a 404): forgotten only if recorded by then, a younger one kept.
      await s.objects.remove(['resp_200', 'resp_201', 'resp_249'], at + 201);
      expect([...(await s.objects.owners(['resp_200', 'resp_201', 'resp_202', 'resp_249'])).keys()].sort()).toEqual(['resp_202', 'resp_249']);
      // Whole rows, for `tollgate objects show`: a team's without a key among them, as an admin gives one.
      await s.objects.add([{ id: 'vs_given', api: 'openai.vector_stores', keyId: null, team: 'platform', createdAt: at + 7 }]);
      const rows = await s.objects.records(['vs_given', 'cachedContents/x y', 'resp_249', 'nothing', ...many.map((o) => `${o.id}x`)]);
      expect(rows.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
        { id: 'cachedContents/x y', api: 'gemini.caches', keyId: null, team: null, createdAt: at },
        { id: 'resp_249', api: 'openai.responses', keyId: 'k0', team: 'a', createdAt: at + 249 },
        { id: 'vs_given', api: 'openai.vector_stores', keyId: null, team: 'platform', createdAt: at + 7 },
      ]);
      expect(await s.objects.records([])).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('forgets the parts of an object with it (a container and its files), a lapsed one only when it is old enough, and reads back what each is part of', async () => {
    const s = await open();
    try {
      const at = Date.UTC(2026, 11, 7);
      const owner = { keyId: 'k1', team: 'platform' };
      const container = (id: string, createdAt: number) => ({ id, api: 'openai.containers', ...owner, createdAt });
      const file = (id: string, parent: string) => ({ id, api: 'openai.container_files', ...owner, createdAt: at + 100, parent });
      await s.objects.add([container('cntr_a', at), container('cntr_b', at), container('cntr_young', at + 50), file('cfile_a1', 'cntr_a'), file('cfile_a2', 'cntr_a'), file('cfile_b1', 'cntr_b'), file('cfile_y1', 'cntr_young')]);
      expect((await s.objects.owners(['cfile_a1', 'cntr_a'])).get('cfile_a1')).toEqual({ ...owner, parent: 'cntr_a' });
      expect((await s.objects.owners(['cntr_a'])).get('cntr_a')).toEqual(owner);
      expect(await s.objects.records(['cfile_a1'])).toEqual([{ ...file('cfile_a1', 'cntr_a'), ...owner }]);
      await s.objects.remove(['cntr_a']);
      expect([...(await s.objects.owners(['cntr_a', 'cfile_a1', 'cfile_a2', 'cntr_b', 'cfile_b1'])).keys()].sort()).toEqual(['cfile_b1', 'cntr_b']);
      // Gone at the provider (a 404): its files go with a container recorded by then, the files' own times aside; a younger container keeps its own.
      await s.objects.remove(['cntr_b', 'cntr_young'], at + 10);
      expect([...(await s.objects.owners(['cntr_b', 'cfile_b1', 'cntr_young', 'cfile_y1'])).keys()].sort()).toEqual(['cfile_y1', 'cntr_young']);
      // A file deleted on its own leaves its container.
      await s.objects.remove(['cfile_y1']);
      expect([...(await s.objects.owners(['cntr_young', 'cfile_y1'])).keys()]).toEqual(['cntr_young']);
    } finally {
      await s.close();
    }
  });
}
