import type { GatewayError } from '../core/errors.js';

/** Refusals whose request would be refused again as it is: a client retrying them only waits longer. */
const FINAL = new Set(['model_not_allowed', 'body_too_large', 'unsupported_encoding']);

/** Refusals Claude Code would misread at their own status (below). */
const CLAUDE_CODE_400 = new Set(['model_not_allowed', 'unknown_provider']);

/**
 * A refusal as the calling client must see it to act on it. Codex (0.169.0, measured) retries
 * every status but 400 and 429 five times over about 7 s, whatever `x-should-retry` says, and on
 * its WebSocket reconnects and then retries over HTTP: a budget's 402 made 6 to 13 refused rows
 * before the user read why. A 429 whose error type is `usage_limit_reached` it does not retry, and
 * it says "You've hit your usage limit. To get more access now, send a request to your admin or try
 * again at <reset>" (`plan_type` team picks that wording, which is the budget's own remedy: an
 * increase request). Other final refusals go as a 400, which it shows at once, body and all.
 * Claude Code (2.1.197) takes any 403 for a bad login: a model policy's refusal read "Please run
 * /login" (with -p, "Failed to authenticate"); as a 400 it shows the message alone. It takes any
 * 404 for a model it may not use, so a base URL with /v1 in it read "There's an issue with the
 * selected model": a `/p/{provider}` naming none, and the 404 that names the path meant
 * (`served_path`), go as a 400 too.
 */
export function forClient(err: GatewayError, client: string | null): GatewayError {
  if (err.outcome !== 'rejected' || err.shape) return err;
  if (client === 'claude-code') return CLAUDE_CODE_400.has(err.code) || (err.code === 'unknown_route' && err.details?.served_path !== undefined) ? err.reshaped({ status: 400 }) : err;
  if (client !== 'codex') return err;
  if (err.code === 'budget_exceeded') {
    const resets = typeof err.details?.resets_at === 'string' ? Date.parse(err.details.resets_at) : NaN;
    return err.reshaped({ status: 429, type: 'usage_limit_reached', fields: { plan_type: 'team', ...(Number.isFinite(resets) ? { resets_at: Math.ceil(resets / 1000) } : {}) } });
  }
  return FINAL.has(err.code) ? err.reshaped({ status: 400 }) : err;
}
