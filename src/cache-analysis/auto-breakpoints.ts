import { arrayElements, findTopLevelMember } from '../providers/openai/json-member.js';
import { estimateInputTokens } from '../metering/estimate.js';

/**
 * `cache: auto` for Anthropic Messages: when a request carries no cache breakpoint at all,
 * put one on the last tool and one on the last system block, so the stable prefix (tools,
 * then tools + system) is cached. The body is edited by splicing bytes; everything the
 * client sent stays as it was. Returns undefined when nothing should change.
 */
export interface AutoBreakpoints {
  body: Buffer;
  /** Block positions (prompt order: tools, system, messages) that received a breakpoint. */
  positions: number[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Anthropic allows at most four breakpoints; auto uses at most two of them. */
export const MAX_BREAKPOINTS = 4;

/**
 * The smallest prefix each model family caches (protocols.md §3.8); a shorter one silently
 * does not cache, so a breakpoint there would only cost bytes.
 */
export function minCacheableTokens(model: string): number {
  const m = model.toLowerCase();
  if (/opus-4-[56]|haiku-4-5/.test(m)) return 4096;
  if (/opus-4-7|haiku-3/.test(m)) return 2048;
  return 1024;
}

export function insertBreakpoints(raw: Buffer, json: unknown, model: string, ttl: '5m' | '1h' | undefined): AutoBreakpoints | undefined {
  if (!isObj(json) || hasBreakpoint(json)) return undefined;
  const tools = Array.isArray(json.tools) ? (json.tools as unknown[]) : [];
  const system = json.system;
  const sysBlocks = typeof system === 'string' ? 1 : Array.isArray(system) ? system.length : 0;
  const min = minCacheableTokens(model);
  const toolTokens = estimateInputTokens(tools);
  const sysTokens = system === undefined ? 0 : estimateInputTokens(system);
  const open = firstNonSpace(raw);
  if (raw[open] !== 0x7b /* { */) return undefined;
  const marker = JSON.stringify(ttl === '1h' ? { type: 'ephemeral', ttl: '1h' } : { type: 'ephemeral' });
  const edits: { at: number; to: number; text: string }[] = [];
  const positions: number[] = [];
  // A breakpoint on the tools alone pays only when the system part changes more often; with
  // a system prompt, the one on the last system block covers the tools too.
  if (tools.length > 0 && toolTokens >= min && isObj(tools.at(-1))) {
    const edit = appendToLast(raw, open, 'tools', marker);
    if (edit) {
      edits.push(edit);
      positions.push(tools.length - 1);
    }
  }
  if (sysBlocks > 0 && toolTokens + sysTokens >= min) {
    let edit: { at: number; to: number; text: string } | undefined;
    if (typeof system === 'string') {
      const m = findTopLevelMember(raw, open, 'system');
      if (m) edit = { at: m.valueStart, to: m.valueEnd, text: `[{"type":"text","text":${raw.subarray(m.valueStart, m.valueEnd).toString('utf8')},"cache_control":${marker}}]` };
    } else if (isObj((system as unknown[]).at(-1))) edit = appendToLast(raw, open, 'system', marker);
    if (edit) {
      edits.push(edit);
      positions.push(tools.length + sysBlocks - 1);
    }
  }
  if (edits.length === 0) return undefined;
  edits.sort((a, b) => b.at - a.at);
  let body = raw;
  for (const e of edits) body = Buffer.concat([body.subarray(0, e.at), Buffer.from(e.text), body.subarray(e.to)]);
  return { body, positions: positions.sort((a, b) => a - b) };
}

/** Inserts `,"cache_control":…` before the closing brace of the last element of a top-level array member. */
function appendToLast(raw: Buffer, open: number, key: string, marker: string): { at: number; to: number; text: string } | undefined {
  const m = findTopLevelMember(raw, open, key);
  if (!m) return undefined;
  const last = arrayElements(raw, m.valueStart)?.at(-1);
  if (!last || raw[last.start] !== 0x7b) return undefined;
  const close = last.end - 1;
  const empty = raw[firstNonSpace(raw, last.start + 1)] === 0x7d;
  return { at: close, to: close, text: `${empty ? '' : ','}"cache_control":${marker}` };
}

/** Any client-set breakpoint, or top-level automatic caching, means the client manages its cache. */
function hasBreakpoint(body: Obj): boolean {
  if (body.cache_control !== undefined) return true;
  const marked = (v: unknown) => isObj(v) && v.cache_control !== undefined;
  if (Array.isArray(body.tools) && body.tools.some(marked)) return true;
  if (Array.isArray(body.system) && body.system.some(marked)) return true;
  if (!Array.isArray(body.messages)) return false;
  return body.messages.some((m) => isObj(m) && Array.isArray(m.content) && m.content.some(marked));
}

function firstNonSpace(buf: Buffer, from = 0): number {
  let i = from;
  while (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0a || buf[i] === 0x0d) i++;
  return i;
}
