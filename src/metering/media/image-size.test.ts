import { describe, expect, it } from 'vitest';
import { imageSize } from './image-size.js';
import { pdfPages } from './pdf-pages.js';
import { gifB64, jpegB64, pdfB64, pngB64, webpB64 } from './fixtures.js';

describe('image headers', () => {
  it('reads the size of a PNG, JPEG, GIF and WebP from its header', () => {
    expect(imageSize(pngB64(1920, 1080, 5000))).toEqual({ w: 1920, h: 1080 });
    expect(imageSize(jpegB64(4032, 3024, 5000))).toEqual({ w: 4032, h: 3024 });
    expect(imageSize(gifB64(320, 200))).toEqual({ w: 320, h: 200 });
    expect(imageSize(webpB64(2560, 1440))).toEqual({ w: 2560, h: 1440 });
  });

  it('reads only the head of a large image, and says nothing of what it cannot read', () => {
    expect(imageSize(pngB64(800, 600, 3_000_000))).toEqual({ w: 800, h: 600 });
    expect(imageSize(Buffer.from('not an image at all').toString('base64'))).toBeUndefined();
    expect(imageSize(pngB64(800, 600).slice(0, 12))).toBeUndefined();
    expect(imageSize(pngB64(0, 600))).toBeUndefined();
    expect(imageSize('')).toBeUndefined();
  });
});

describe('PDF pages', () => {
  it('counts page objects, not the page tree’s nodes, whatever the spacing', () => {
    expect(pdfPages(pdfB64(1))).toBe(1);
    expect(pdfPages(pdfB64(7))).toBe(7);
  });

  it('counts across the chunks it decodes a large document in', () => {
    const big = pdfB64(3, `% ${'x'.repeat(700_000)}\n4 0 obj << /Type /Page >> endobj\n`);
    expect(pdfPages(big)).toBe(4);
  });

  it('does not trust a count it cannot see whole: object streams, not a PDF, no pages, stray characters', () => {
    expect(pdfPages(pdfB64(2, '9 0 obj << /Type /ObjStm /N 5 >> endobj\n'))).toBeUndefined();
    expect(pdfPages(Buffer.from('hello /Type /Page').toString('base64'))).toBeUndefined();
    expect(pdfPages(pdfB64(0))).toBeUndefined();
    const wrapped = pdfB64(3, `% ${'y'.repeat(400_000)}\n`).replace(/(.{76})/g, '$1\n');
    expect(pdfPages(wrapped)).toBeUndefined();
  });
});
