/** Real image headers built byte by byte (the pixels after them are filler: only the header is read). */
export function pngB64(w: number, h: number, filler = 0): string {
  const b = Buffer.alloc(33 + filler);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(w, 16);
  b.writeUInt32BE(h, 20);
  b.writeUInt8(8, 24); // bit depth; colour type, compression, filter, interlace 0, then a CRC
  return b.toString('base64');
}

/** A baseline JPEG: SOI, an APP0 (JFIF) segment, a DQT-sized segment, then SOF0 with the size. */
export function jpegB64(w: number, h: number, filler = 0): string {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
  const dqt = Buffer.concat([Buffer.from([0xff, 0xdb, 0x00, 0x43, 0x00]), Buffer.alloc(64, 1)]);
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, h >> 8, h & 0xff, w >> 8, w & 0xff, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, dqt, sof, Buffer.alloc(filler)]).toString('base64');
}

export function gifB64(w: number, h: number): string {
  const b = Buffer.alloc(13);
  b.write('GIF89a', 0, 'latin1');
  b.writeUInt16LE(w, 6);
  b.writeUInt16LE(h, 8);
  return b.toString('base64');
}

/** An extended WebP (VP8X): the canvas size minus one, 24 bits little-endian each. */
export function webpB64(w: number, h: number): string {
  const b = Buffer.alloc(30);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(22, 4);
  b.write('WEBPVP8X', 8, 'latin1');
  b.writeUInt32LE(10, 16);
  b.writeUIntLE(w - 1, 24, 3);
  b.writeUIntLE(h - 1, 27, 3);
  return b.toString('base64');
}

/** A minimal PDF of `pages` page objects (and a `/Pages` node that must not be counted). */
export function pdfB64(pages: number, extra = ''): string {
  const kids = Array.from({ length: pages }, (_, i) => `${i + 3} 0 R`).join(' ');
  const objs = [`1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj`, `2 0 obj << /Type /Pages /Kids [${kids}] /Count ${pages} >> endobj`];
  for (let i = 0; i < pages; i++) objs.push(`${i + 3} 0 obj << /Type${i % 2 ? '' : ' '}/Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj`);
  return Buffer.from(`%PDF-1.4\n${objs.join('\n')}\n${extra}trailer << /Root 1 0 R >>\n%%EOF\n`, 'latin1').toString('base64');
}
