import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { handleMetrics } from './metrics-endpoint.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function serve(metrics: GatewayMetrics | undefined, token: string | undefined): Promise<string> {
  server = createServer((req, res) => void handleMetrics(metrics, token, req, res));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

describe('handleMetrics', () => {
  it('is off, saying how to turn it on, without the admin token', async () => {
    const res = await fetch(await serve(undefined, undefined));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: 'admin_disabled', message: 'Metrics are off: start the gateway with TOLLGATE_ADMIN_TOKEN set.' } });
  });

  it('answers HEAD with the headers only, and takes the scheme in any case', async () => {
    const url = await serve(new GatewayMetrics({ ledgerPending: () => 0, inFlight: () => 0 }), 'secret');
    const head = await fetch(url, { method: 'HEAD', headers: { authorization: 'bearer secret' } });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await head.text()).toBe('');
  });
});
