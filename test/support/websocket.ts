import WebSocket from 'ws';

/** A socket to the gateway at `path`, every message it receives, and its close code once closed. */
export async function openSocket(url: string, path: string, key: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; got: string[]; closed: Promise<number> }> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}${path}`, { headers: { authorization: `Bearer ${key}`, ...headers } });
  const got: string[] = [];
  ws.on('message', (d: Buffer) => got.push(d.toString()));
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  await new Promise<void>((ok, fail) => {
    ws.once('open', () => ok());
    ws.once('error', fail);
  });
  return { ws, got, closed };
}

/** Waits until `ok()` holds, polling every 10 ms; throws after `ms`. */
export async function until(ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
