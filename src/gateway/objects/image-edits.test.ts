import { describe, expect, it } from 'vitest';
import type { RouteMatch } from '../../providers/types.js';
import { imageEditFiles } from './image-edits.js';

const EDITS: RouteMatch = { api: 'openai.images', dialect: 'openai', method: 'POST', rawBody: false };

describe('the files an image edit sent as JSON names', () => {
  it('are its images and its mask given by file_id, each once; URLs and other APIs name none', () => {
    expect(imageEditFiles(EDITS, { images: [{ file_id: 'file-a' }, { image_url: 'https://x/y.png' }, { file_id: 'file-a' }], mask: { file_id: 'file-m' } })).toEqual(['file-a', 'file-m']);
    expect(imageEditFiles(EDITS, { images: 'file-a', mask: 'file-m' })).toEqual([]);
    expect(imageEditFiles({ ...EDITS, api: 'openai.audio' }, { images: [{ file_id: 'file-a' }] })).toEqual([]);
  });
});
