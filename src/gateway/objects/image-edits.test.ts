import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { RouteMatch } from '../../providers/types.js';
import { imageEditFiles, unreadBodyJson } from './image-edits.js';

const EDITS: RouteMatch = { api: 'openai.images', dialect: 'openai', method: 'POST', rawBody: true };
const team = { mode: 'team' as const };

describe('the files an image edit sent as JSON names', () => {
  it('are its images and its mask given by file_id, each once; URLs and other APIs name none', () => {
    expect(imageEditFiles(EDITS, { images: [{ file_id: 'file-a' }, { image_url: 'https://x/y.png' }, { file_id: 'file-a' }], mask: { file_id: 'file-m' } })).toEqual(['file-a', 'file-m']);
    expect(imageEditFiles(EDITS, { images: 'file-a', mask: 'file-m' })).toEqual([]);
    expect(imageEditFiles({ ...EDITS, api: 'openai.audio' }, { images: [{ file_id: 'file-a' }] })).toEqual([]);
  });

  it('are read from the body the gateway forwards unread, decoded, but not from a form, not when objects are shared', () => {
    const body = Buffer.from(JSON.stringify({ images: [{ file_id: 'file-a' }] }));
    expect(unreadBodyJson(team, EDITS, body, { 'content-type': 'application/json' }, 1 << 20)).toEqual({ images: [{ file_id: 'file-a' }] });
    expect(unreadBodyJson(team, EDITS, gzipSync(body), { 'content-type': 'application/json', 'content-encoding': 'gzip' }, 1 << 20)).toEqual({ images: [{ file_id: 'file-a' }] });
    expect(() => unreadBodyJson(team, EDITS, body, { 'content-encoding': 'compress' }, 1 << 20)).toThrow(/compress/);
    expect(unreadBodyJson(team, EDITS, body, { 'content-type': 'multipart/form-data; boundary=b' }, 1 << 20)).toBeUndefined();
    expect(unreadBodyJson({ mode: 'shared' }, EDITS, body, {}, 1 << 20)).toBeUndefined();
    expect(unreadBodyJson(team, EDITS, Buffer.from('{nope'), {}, 1 << 20)).toBeUndefined();
  });
});
