import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import type { AuthThrottle } from '../identity/auth-throttle.js';
import { admitted } from './admin.js';
import { sendAdminError } from './json-response.js';

/**
 * `GET /metrics`, Prometheus's text format, behind the admin token: the series name
 * models, teams and spend. Off, like the admin API, when the token is unset.
 */
export async function handleMetrics(metrics: GatewayMetrics | undefined, token: string | undefined, req: IncomingMessage, res: ServerResponse, throttle?: AuthThrottle): Promise<void> {
  // Counted only while the admin API is on (app.ts): no metrics answers as no token does.
  if (!admitted(metrics === undefined ? undefined : token, 'Metrics are', req, res, throttle) || metrics === undefined) return;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return sendAdminError(res, 405, 'method_not_allowed', `${req.method} is not supported on /metrics; use GET.`);
  }
  const body = await metrics.render();
  res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
