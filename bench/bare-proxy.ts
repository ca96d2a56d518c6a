import type { AddressInfo } from 'node:net';
import { type IncomingHttpHeaders, createServer } from 'node:http';
import { Agent, type Dispatcher } from 'undici';

// The practical limit of a Node gateway on this machine: node:http in, undici's
// dispatch API out (the cheapest way through undici: callbacks, no stream object per
// response), bytes passed on as they arrive without being parsed. Tollgate is held
// to ratios of this. `node --import tsx bench/bare-proxy.ts <port> <upstream url>`.
const port = Number(process.argv[2] ?? 0);
const upstream = new URL(process.argv[3] ?? 'http://127.0.0.1:1');
const agent = new Agent({ keepAliveTimeout: 120_000, pipelining: 1 });
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

function forwardable(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

function responseHeaders(h: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const k in h) if (!HOP_BY_HOP.has(k)) out[k] = h[k];
  return out;
}

const server = createServer((req, res) => {
  let controller: Dispatcher.DispatchController | undefined;
  let started = false;
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
    },
    onResponseStart(_c, status, headers) {
      started = true;
      res.writeHead(status, responseHeaders(headers));
    },
    onResponseData(c, chunk) {
      if (!res.write(chunk)) {
        c.pause();
        res.once('drain', () => c.resume());
      }
    },
    onResponseEnd() {
      res.end();
    },
    onResponseError() {
      if (started) return void res.destroy();
      res.writeHead(502).end();
    },
  };
  res.on('close', () => {
    if (!res.writableFinished) controller?.abort(new Error('client left'));
  });
  // The request body is streamed through as it arrives, with the client's content-length.
  const method = req.method ?? 'GET';
  const body = method === 'GET' || method === 'HEAD' ? null : req;
  agent.dispatch({ origin: upstream.origin, path: req.url ?? '/', method, headers: forwardable(req.rawHeaders), body }, handler);
});
server.keepAliveTimeout = 120_000;
server.listen(port, '127.0.0.1', () => {
  // The harness waits for this line (bench/processes.ts).
  console.log(`listening ${(server.address() as AddressInfo).port}`);
});
