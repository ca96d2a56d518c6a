/** An image's size in pixels, as its header states it. */
export interface ImageSize {
  w: number;
  h: number;
}

/** Base64 characters decoded to find a size: a JPEG's frame header can follow a long EXIF block. */
const HEAD_CHARS = 96 * 1024;

/**
 * The size a PNG, JPEG, GIF or WebP image's header states, read from at most its first 72 KB
 * (HEAD_CHARS of base64); undefined when the header is not one of those, is cut short, or states
 * no size. Only the head is decoded: the image itself is never held twice.
 */
export function imageSize(base64: string): ImageSize | undefined {
  const b = Buffer.from(base64.length > HEAD_CHARS ? base64.slice(0, HEAD_CHARS) : base64, 'base64');
  const s = png(b) ?? gif(b) ?? webp(b) ?? jpeg(b);
  return s && s.w > 0 && s.h > 0 ? s : undefined;
}

function png(b: Buffer): ImageSize | undefined {
  if (b.length < 24 || b.readUInt32BE(0) !== 0x89504e47 || b.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { w: b.readUInt32BE(16), h: b.readUInt32BE(20) };
}

function gif(b: Buffer): ImageSize | undefined {
  if (b.length < 10 || b.toString('latin1', 0, 4) !== 'GIF8') return undefined;
  return { w: b.readUInt16LE(6), h: b.readUInt16LE(8) };
}

function webp(b: Buffer): ImageSize | undefined {
  if (b.length < 30 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WEBP') return undefined;
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') return { w: b.readUInt16LE(26) & 0x3fff, h: b.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L') {
    const [b1, b2, b3, b4] = [b[21]!, b[22]!, b[23]!, b[24]!];
    return { w: 1 + (((b2 & 0x3f) << 8) | b1), h: 1 + (((b4 & 0x0f) << 10) | (b3 << 2) | ((b2 & 0xc0) >> 6)) };
  }
  if (chunk === 'VP8X') return { w: 1 + b.readUIntLE(24, 3), h: 1 + b.readUIntLE(27, 3) };
  return undefined;
}

/** Start-of-frame markers: every SOFn but DHT (C4), JPG (C8) and DAC (CC). */
const isFrame = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpeg(b: Buffer): ImageSize | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 9 <= b.length) {
    if (b[i] !== 0xff) return undefined;
    const m = b[i + 1]!;
    if (m === 0xff) {
      i++; // fill byte
      continue;
    }
    if (isFrame(m)) return { w: b.readUInt16BE(i + 7), h: b.readUInt16BE(i + 5) };
    if (m === 0xd9 || m === 0xda) return undefined; // end of image, or scan data before any frame header
    i += m === 0x01 || (m >= 0xd0 && m <= 0xd7) ? 2 : 2 + b.readUInt16BE(i + 2);
  }
  return undefined;
}
