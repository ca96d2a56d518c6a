import type { ServerResponse } from 'node:http';
import { PAGE_HEADERS } from '../alerts/html-page.js';

/** Sends one of the signed links' pages, with their tight headers (and any more the status needs). */
export function sendPage(res: ServerResponse, status: number, html: string, more: Record<string, string> = {}): void {
  res.writeHead(status, { ...PAGE_HEADERS, 'content-length': Buffer.byteLength(html), ...more });
  res.end(html);
}
