import type { IncomingMessage } from 'node:http';
import { ClientLeft } from '../gateway/read-body.js';

/** A form body past the page's limit: answered 413 (the rest is read and dropped, so the page still goes out). */
export class FormTooLarge extends Error {
  constructor(maxBytes: number) {
    super(`The form is larger than ${maxBytes / 1024} KB.`);
    this.name = 'FormTooLarge';
  }
}

/** A page's form post; anything but a URL-encoded form reads as empty. Rejects with FormTooLarge past `maxBytes`, ClientLeft if the client hangs up. */
export async function readForm(req: IncomingMessage, maxBytes: number): Promise<URLSearchParams> {
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) throw new FormTooLarge(maxBytes);
  const body = await readBody(req, maxBytes);
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  return type === 'application/x-www-form-urlencoded' ? new URLSearchParams(body.toString('utf8')) : new URLSearchParams();
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      // Discard the rest instead of destroying the request, so the 413 page still goes out.
      req.off('data', onData);
      req.resume();
      reject(new FormTooLarge(maxBytes));
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    // The one way a request errors while it is read: the client hung up mid-upload.
    req.once('error', (err) => reject(new ClientLeft(err)));
  });
}
