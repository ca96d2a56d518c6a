import type { Dispatcher } from 'undici';
import { type Dialect, FREE_APIS } from '../core/api.js';
import { GatewayError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { BatchAdmission, Caller } from '../policy/admission.js';
import type { BatchTotals } from '../policy/batch-estimate.js';
import type { Enforcer } from '../policy/enforcer.js';
import { messageBatchParams } from '../providers/anthropic/batches.js';
import { geminiBatchFile, geminiBatchRequests, requestPath } from '../providers/gemini/batches.js';
import { readInputLine } from '../providers/openai/batches.js';
import { adapterFor, lookupRoute } from '../providers/registry.js';
import { JsonlLines } from '../providers/shared/batch-results-tap.js';
import type { RouteMatch } from '../providers/types.js';
import { askUpstream } from './ask-upstream.js';
import type { BatchLineObjects } from './objects/batch-lines.js';
import type { UpstreamProvider } from './select-provider.js';

/** How long reading a batch's input file may take: one can run to 200 MB. */
const INPUT_FILE_TIMEOUT_MS = 5 * 60_000;

/** Whether a request creates a batch: Anthropic's Message Batches, OpenAI's and Gemini's Batch APIs. */
export function createsBatch(route: RouteMatch): boolean {
  return route.method === 'POST' && route.resourceId === undefined && (route.api === 'anthropic.batches' || route.api === 'openai.batches' || route.api === 'gemini.batches');
}

export interface BatchCheck {
  /** Budgets and model policy, when configured. */
  policy: Enforcer | undefined;
  /** The stored objects the requests of an OpenAI batch's input file name, to check (batch-lines.ts), when they are to be. */
  lines: BatchLineObjects | undefined;
  agent: Dispatcher;
  log: Logger;
  id: string;
  route: RouteMatch;
  json: unknown;
  caller: Caller;
  /** The provider the batch is created at (a batch is never routed). */
  provider: UpstreamProvider;
  /** The key the creation goes with: the client's own, or the provider's. */
  apiKey: string | undefined;
}

/**
 * Checks a batch's creation against budgets and model policy (Enforcer.admitBatch): its
 * requests, from the creation's body (Anthropic, Gemini's inline requests) or from its input file,
 * read from the provider a line at a time (OpenAI), each estimated as the request sent alone would be.
 * The same reading checks the stored objects the input file's requests name (`lines`).
 */
export async function admitBatch(c: BatchCheck): Promise<BatchAdmission | undefined> {
  const totals = c.policy?.governsBatches() === true ? c.policy.batchTotals() : undefined;
  if (c.route.api === 'anthropic.batches') {
    if (totals === undefined) return undefined;
    for (const params of messageBatchParams(c.json)) add(totals, 'anthropic', '/v1/messages', params, Buffer.byteLength(JSON.stringify(params)));
  } else if (c.route.api === 'gemini.batches') {
    if (totals === undefined) return undefined;
    const model = c.route.model ?? '';
    for (const request of geminiBatchRequests(c.json)) add(totals, 'gemini', requestPath(model, request), request, Buffer.byteLength(JSON.stringify(request)));
    // Requests in an uploaded file cannot be read (Gemini serves back the files it made, not uploads): the model is still checked, at the least a request costs.
    if (geminiBatchFile(c.json) !== undefined) totals.unread(model);
  } else if (totals !== undefined || c.lines !== undefined) await readInputFile(c, totals);
  return totals === undefined ? undefined : c.policy!.admitBatch({ id: c.id, caller: c.caller, totals: totals.totals, served: { provider: c.provider.name, catalogProvider: c.provider.catalog } });
}

/**
 * One request of a batch, read as the same request sent to `path` would be (`bytes`: its body's
 * size, or more); one the provider would refuse costs nothing and is left out.
 */
function add(totals: BatchTotals, dialect: Dialect, path: string, body: Record<string, unknown>, bytes: number): void {
  const found = lookupRoute('POST', path, [dialect]);
  if (found.kind !== 'match' || FREE_APIS.has(found.route.api)) return;
  let model: string;
  let maxOutputTokens: number | undefined;
  let choices: number | undefined;
  try {
    ({ model, maxOutputTokens, choices } = adapterFor(dialect).inspectRequest(found.route, body));
  } catch {
    return;
  }
  totals.add({ model, json: body, api: found.route.api, bodyBytes: bytes, maxOutputTokens, choices });
}

async function readInputFile(c: BatchCheck, totals: BatchTotals | undefined): Promise<void> {
  const fileId = (c.json as { input_file_id?: unknown } | undefined)?.input_file_id;
  // Without a file (or a key to read it with) the provider refuses the creation itself.
  if (typeof fileId !== 'string' || fileId === '' || c.apiKey === undefined) return;
  // A dot segment stays one once encoded, and the URL parser resolves it: `/v1/files/../content` is `/v1/content`.
  if (fileId === '.' || fileId === '..') throw new GatewayError('invalid_request', `input_file_id "${fileId}" is not a file id.`);
  const url = `${c.provider.baseUrl}/v1/files/${encodeURIComponent(fileId)}/content`;
  const asked = await askUpstream(c.agent, url, { ...c.provider.headers, authorization: `Bearer ${c.apiKey}` }, INPUT_FILE_TIMEOUT_MS);
  if (asked.kind === 'unknown') return;
  let reason = asked.kind === 'failed' ? asked.reason : undefined;
  if (asked.kind === 'answer') {
    const lines = new JsonlLines((line, n) => {
      const r = totals !== undefined || c.lines?.mayName(line) === true ? readInputLine(line) : undefined;
      if (r === undefined) return;
      // The line's size bounds its body's, without writing the body out again.
      if (totals !== undefined) add(totals, 'openai', r.path, r.body, Buffer.byteLength(line));
      c.lines?.add(r, n);
    });
    try {
      for await (const chunk of asked.body) {
        lines.push(chunk as Buffer);
        // Checked on the way, the file's reading paused meanwhile: the ids gathered stay few.
        if (c.lines?.full === true) await c.lines.check();
      }
      lines.end();
    } catch (err) {
      // A refusal of what the file names (or storage's trouble telling) is the answer; anything else, the file could not be read.
      if (err instanceof GatewayError) throw err;
      reason = errorMessage(err);
    }
    if (reason === undefined) return c.lines?.check();
  }
  if (reason === undefined) return;
  c.log.warn("could not read a batch's input file to check it", { id: c.id, file: fileId, reason });
  const retry = { headers: { 'retry-after': '5' } };
  if (totals !== undefined) throw new GatewayError('budget_unavailable', `Tollgate could not read the batch's input file ${fileId} to check it against your budgets (${reason}), so the batch was not created. Retry shortly.`, retry);
  throw new GatewayError('upstream_unreachable', `Tollgate could not read the batch's input file ${fileId} from the provider to check the stored objects its requests name (${reason}), so the batch was not created. Retry shortly.`, retry);
}
