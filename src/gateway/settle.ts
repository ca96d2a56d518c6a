import { FREE_APIS, UNREPORTED_USAGE_APIS } from '../core/api.js';
import type { Metered, RequestInfo } from '../providers/types.js';
import type { RelayArgs } from './relay.js';
import { AttemptTimeout, isIdleTimeout } from './upstream.js';

/** Turns what the tap saw and how the body ended into the row's outcome and usage (also a WebSocket's responses: websocket/turns.ts). */
export function settle(a: Pick<RelayArgs, 'facts' | 'inputEstimate'> & { info: Pick<RequestInfo, 'stream' | 'serviceTier'> }, m: Metered, complete: boolean, clientGone: boolean, err: unknown): void {
  const f = a.facts;
  f.liveTap = undefined;
  f.usage = m.usage;
  f.usageSource = m.usageSource;
  f.servedModel = m.servedModel;
  f.serviceTier = m.serviceTier ?? a.info.serviceTier;
  f.responseId = m.responseId ?? null;
  f.pendingResponse = m.pending === true;
  f.backgroundResponse = m.background === true;
  f.billedWithoutUsage = m.billedWithoutUsage === true;
  if (m.batch !== undefined) f.batch = m.batch;
  if (m.batchFiles !== undefined) f.batchFiles = m.batchFiles;
  if (m.items !== undefined) f.items = m.items;
  if (m.containers !== undefined) f.containers = m.containers;
  if (m.conversations !== undefined) f.conversations = m.conversations;
  if (m.error) {
    // An error the provider sent (an event inside a 200 stream) is why the answer ended, whoever
    // hung up after it: an SDK throws on the event and leaves, an upstream may close or reset.
    f.outcome = 'upstream_error';
    f.errorType = m.error.type;
  } else if (clientGone && !(a.info.stream && m.sawEnd)) {
    // A client that hangs up once it has read the stream's end event (Codex does, while the
    // upstream may hold the body open a moment longer) received the whole answer.
    f.outcome = 'client_aborted';
    f.errorType = 'client_disconnected';
  } else if (!complete && !clientGone) {
    f.outcome = 'truncated';
    f.errorType = isIdleTimeout(err) ? 'upstream_idle_timeout' : err instanceof AttemptTimeout ? 'upstream_request_timeout' : 'upstream_disconnected';
  } else if (f.status >= 400) {
    f.outcome = 'upstream_error';
    f.errorType = `http_${f.status}`;
  } else if (a.info.stream && !m.sawEnd) {
    f.outcome = 'truncated';
    f.errorType = 'stream_incomplete';
  }
  // A complete answer of a token-billed API without usage (a server that ignores stream_options, a proxy that strips usage) was billed all the same.
  const silent = f.outcome === 'ok' && !FREE_APIS.has(f.api) && !f.pendingResponse && !f.billedWithoutUsage && f.batch === undefined;
  const reported = f.usageSource !== 'none';
  const unreported = !reported && f.status < 400 && m.failedBeforeStart !== true && (f.outcome !== 'ok' || UNREPORTED_USAGE_APIS.has(f.api) || silent);
  const estimate = unreported ? a.inputEstimate() : undefined;
  if (estimate !== undefined) {
    // The stream died before the provider reported usage, or the answer never said; the input was still billed.
    f.usage = { ...f.usage, inputTokens: estimate };
    f.usageSource = 'estimated';
  }
  // Cut before its final usage (not ended by the provider's error), or complete without any, the answer was billed for every
  // token generated: at least what its streamed text comes to, more than the count so far (Anthropic's message_start says 1).
  const streamed = m.outputEstimate;
  if (streamed !== undefined && (!m.sawEnd || !reported) && !m.error && f.usageSource !== 'final' && f.status < 400 && streamed > f.usage.outputTokens) {
    f.usage = { ...f.usage, outputTokens: streamed };
    if (f.usageSource === 'none') f.usageSource = 'estimated';
  }
}
