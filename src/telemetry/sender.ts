import type { IncomingHttpHeaders } from 'node:http';
import { sameSecret } from '../identity/same-secret.js';
import { type AuthThrottle, retryAfterSeconds, throttledMessage, throttledTry } from '../identity/auth-throttle.js';
import type { KeyResolver } from '../identity/key-resolver.js';
import { parseTags } from '../identity/tags.js';
import { keyRefusal } from '../identity/key-validity.js';
import { isVirtualKey } from '../identity/virtual-keys.js';
import type { Sender } from './telemetry-row.js';

export interface SenderAuth {
  keys: KeyResolver;
  /** TOLLGATE_ADMIN_TOKEN: a central collector may forward everyone's telemetry with it. */
  adminToken: string | undefined;
  anonymous: 'allow' | 'deny';
  /** Wrong admin tokens counted per client address (a token that is not a Tollgate key can only be the admin token here). */
  throttle?: AuthThrottle;
}

/** The token an OTLP exporter sends: `Authorization: Bearer …` or `x-tollgate-key: …` (both settable in OTEL_EXPORTER_OTLP_HEADERS). */
export function senderToken(h: IncomingHttpHeaders): string | undefined {
  const direct = h['x-tollgate-key'];
  if (typeof direct === 'string' && direct.trim()) return direct.trim();
  const auth = h.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim() || undefined;
  return undefined;
}

function header(h: IncomingHttpHeaders, name: string): string | null {
  const v = h[name];
  return typeof v === 'string' && v.trim() ? v.trim().slice(0, 200) : null;
}

/** Who is sending, or the reason (for a 401 or 400, or a 429 with the seconds to wait) they may not. `peer`: the client's address (see clientOf). */
export async function identifySender(auth: SenderAuth, h: IncomingHttpHeaders, peer?: string): Promise<Sender | { status: 400 | 401 | 429; message: string; retryAfter?: string }> {
  const tags = parseTags(typeof h['x-tollgate-tags'] === 'string' ? h['x-tollgate-tags'] : undefined);
  if ('error' in tags) return { status: 400, message: tags.error };
  const sender: Sender = { keyId: null, user: header(h, 'x-tollgate-user'), team: header(h, 'x-tollgate-team'), project: header(h, 'x-tollgate-project'), tags: tags.tags };
  const token = senderToken(h);
  if (token === undefined) {
    if (auth.anonymous === 'allow') return sender;
    return { status: 401, message: 'No key: send a Tollgate virtual key or the admin token, e.g. OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer tg_…".' };
  }
  const virtual = isVirtualKey(token);
  // A Tollgate key is never the admin token: its tries are not counted.
  const attempt = throttledTry(virtual ? undefined : auth.throttle, peer);
  if (attempt.wait > 0) return { status: 429, message: throttledMessage(attempt.wait), retryAfter: retryAfterSeconds(attempt.wait) };
  if (auth.adminToken && sameSecret(token, auth.adminToken)) return sender;
  if (!virtual) {
    attempt.failed();
    return { status: 401, message: 'This is not a Tollgate key: send a virtual key (tg_…) or the admin token.' };
  }
  const rec = await auth.keys.resolve(token);
  if (!rec) return { status: 401, message: 'This Tollgate key is not valid.' };
  const refused = keyRefusal(rec, Date.now());
  if (refused) return { status: 401, message: refused.message };
  return { ...sender, keyId: rec.id, user: rec.user ?? sender.user, team: rec.team ?? sender.team, project: rec.project ?? sender.project };
}
