import { arrayElements, findTopLevelMember } from '../providers/shared/json-member.js';
import { estimateInputTokens } from '../metering/estimate.js';

/**
 * `cache: auto` for Anthropic Messages: breakpoints at the ends of the stable parts of the
 * prompt, where the client has none: the last system block (caching tools and system), the
 * last tool (when the tools alone are cacheable), and the last message of the prior history
 * (everything but the newest message, which agents and chat clients resend on the next turn).
 * The body is edited by splicing bytes; everything the client sent stays as it was. Returns
 * undefined when nothing should change.
 */
export interface AutoBreakpoints {
  body: Buffer;
  /** Block positions (prompt order: tools, system, messages) that received a breakpoint. */
  positions: number[];
}

type Obj = Record<string, unknown>;
type Ttl = '5m' | '1h';
interface Edit {
  at: number;
  to: number;
  text: string;
}
interface Candidate {
  pos: number;
  edit: () => Edit | undefined;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Anthropic allows at most four breakpoints per request, the client's own included. */
export const MAX_BREAKPOINTS = 4;

/** Message blocks that may carry `cache_control` (thinking blocks may not). */
const MARKABLE = new Set(['text', 'image', 'document', 'tool_use', 'tool_result', 'search_result', 'server_tool_use', 'web_search_tool_result']);

/**
 * The smallest prefix each model family caches (protocols.md §3.8); a shorter one silently
 * does not cache, so a breakpoint there would only cost bytes. Models the table does not
 * list take the common 1,024.
 */
export function minCacheableTokens(model: string): number {
  const m = model.toLowerCase();
  if (/opus-4-[56]|haiku-4-5/.test(m)) return 4096;
  // Haiku 3 and 3.5 by their ids as Anthropic gives them: claude-3-haiku-…, claude-3-5-haiku-….
  if (/opus-4-7|haiku-3|claude-3(?:-5)?-haiku|mythos-preview/.test(m)) return 2048;
  // Opus 5, Fable 5 and Mythos 5 themselves, not their 5.x successors.
  if (/(opus|fable|mythos)-5(?:$|-\d{8}|@)/.test(m)) return 512;
  return 1024;
}

export function insertBreakpoints(raw: Buffer, json: unknown, model: string, ttl: Ttl | undefined): AutoBreakpoints | undefined {
  // Top-level automatic caching: Anthropic places and moves that breakpoint itself (null is none).
  if (!isObj(json) || (json.cache_control !== undefined && json.cache_control !== null)) return undefined;
  const open = firstNonSpace(raw);
  if (raw[open] !== 0x7b /* { */) return undefined;
  const tools = arr(json.tools);
  const system = json.system;
  const sysList = typeof system === 'string' ? [system] : arr(system);
  const messages = arr(json.messages);
  const client = clientBreakpoints(tools, sysList, messages);
  const room = MAX_BREAKPOINTS - client.length;
  if (room <= 0) return undefined;
  const want: Ttl = ttl === '1h' ? '1h' : '5m';
  const marker = JSON.stringify(want === '1h' ? { type: 'ephemeral', ttl: '1h' } : { type: 'ephemeral' });
  const min = minCacheableTokens(model);
  const toolTokens = estimateInputTokens(tools);
  const sysTokens = system === undefined ? 0 : estimateInputTokens(system);
  const sysEnd = tools.length + sysList.length;
  const marked = (from: number, to: number) => client.some((c) => c.pos >= from && c.pos < to);

  // In order of worth when slots are short: tools + system serve every conversation, the
  // history this one's next turn, the tools alone only a system prompt that changes.
  const candidates: Candidate[] = [];
  // An empty text block cannot carry a breakpoint (Anthropic refuses the request).
  const lastSys = sysList.at(-1);
  const sysMarkable = typeof lastSys === 'string' ? lastSys !== '' : markable(lastSys);
  if (sysList.length > 0 && sysMarkable && toolTokens + sysTokens >= min && !marked(tools.length, sysEnd)) {
    candidates.push({ pos: sysEnd - 1, edit: () => (typeof system === 'string' ? wrapString(raw, findTopLevelMember(raw, open, 'system'), marker) : appendToLast(raw, open, 'system', marker)) });
  }
  const history = historyCandidate(raw, open, messages, sysEnd, min - toolTokens - sysTokens, marker, client);
  if (history) candidates.push(history);
  if (tools.length > 0 && toolTokens >= min && isObj(tools.at(-1)) && !marked(0, tools.length)) {
    candidates.push({ pos: tools.length - 1, edit: () => appendToLast(raw, open, 'tools', marker) });
  }

  const edits: Edit[] = [];
  const positions: number[] = [];
  for (const c of candidates) {
    if (edits.length >= room || !ttlOrderHolds(c.pos, want, client)) continue;
    const e = c.edit();
    if (!e) continue;
    edits.push(e);
    positions.push(c.pos);
  }
  if (edits.length === 0) return undefined;
  edits.sort((a, b) => b.at - a.at);
  let body = raw;
  for (const e of edits) body = Buffer.concat([body.subarray(0, e.at), Buffer.from(e.text), body.subarray(e.to)]);
  return { body, positions: positions.sort((a, b) => a - b) };
}

/**
 * The breakpoint on the last message of the prior history (all but the newest message), on
 * its last block that may carry one, when that prefix is long enough to cache and the client
 * has no breakpoint there or later (one later covers the history already).
 */
function historyCandidate(raw: Buffer, open: number, messages: unknown[], first: number, need: number, marker: string, client: ClientBreakpoint[]): Candidate | undefined {
  const k = messages.length - 2;
  if (k < 0) return undefined;
  let pos = first;
  for (let i = 0; i < k; i++) pos += blockCount(messages[i]);
  const m = messages[k];
  if (!isObj(m) || client.some((c) => c.pos >= pos)) return undefined;
  if (need > 0 && estimateInputTokens(messages.slice(0, k + 1), need) < need) return undefined;
  const locate = () => {
    const list = findTopLevelMember(raw, open, 'messages');
    const el = list && arrayElements(raw, list.valueStart)?.[k];
    return el && raw[el.start] === 0x7b ? findTopLevelMember(raw, el.start, 'content') : undefined;
  };
  if (typeof m.content === 'string') return m.content === '' ? undefined : { pos, edit: () => wrapString(raw, locate(), marker) };
  const blocks = arr(m.content);
  let j = blocks.length - 1;
  while (j >= 0 && !markable(blocks[j])) j--;
  if (j < 0) return undefined;
  return {
    pos: pos + j,
    edit: () => {
      const content = locate();
      const el = content && arrayElements(raw, content.valueStart)?.[j];
      return el && raw[el.start] === 0x7b ? appendInside(raw, el, marker) : undefined;
    },
  };
}

function markable(b: unknown): boolean {
  if (!isObj(b) || typeof b.type !== 'string' || !MARKABLE.has(b.type)) return false;
  // An empty text block cannot carry a breakpoint.
  return b.type !== 'text' || (typeof b.text === 'string' && b.text !== '');
}

/** Blocks a message adds to the prompt, as the prefix hash counts them (a string is one). */
function blockCount(m: unknown): number {
  if (!isObj(m)) return 0;
  return typeof m.content === 'string' ? 1 : arr(m.content).length;
}

interface ClientBreakpoint {
  pos: number;
  ttl: Ttl;
}

/**
 * The client's own breakpoints, by block position. One on a block nested in a message block
 * (a text block in a `tool_result`'s or `search_result`'s content, or in a document's
 * content source) counts too, at its parent's position: Anthropic counts it among the four.
 */
function clientBreakpoints(tools: unknown[], system: unknown[], messages: unknown[]): ClientBreakpoint[] {
  const out: ClientBreakpoint[] = [];
  let pos = 0;
  const mark = (b: unknown) => {
    if (isObj(b) && b.cache_control !== undefined && b.cache_control !== null) out.push({ pos, ttl: isObj(b.cache_control) && b.cache_control.ttl === '1h' ? '1h' : '5m' });
  };
  const see = (b: unknown) => {
    mark(b);
    if (isObj(b)) for (const inner of [...arr(b.content), ...arr(isObj(b.source) ? b.source.content : undefined)]) mark(inner);
    pos++;
  };
  for (const t of tools) see(t);
  for (const s of system) see(s);
  for (const m of messages) {
    if (isObj(m) && Array.isArray(m.content)) for (const c of m.content) see(c);
    else if (isObj(m) && typeof m.content === 'string') pos++;
  }
  return out;
}

/** 1-hour entries must come before 5-minute ones: an added breakpoint may not break that order. */
function ttlOrderHolds(pos: number, ttl: Ttl, client: ClientBreakpoint[]): boolean {
  return client.every((c) => (c.pos < pos ? ttl === '5m' || c.ttl === '1h' : c.pos > pos ? ttl === '1h' || c.ttl === '5m' : false));
}

/** A string value (system prompt, message content) as one text block carrying the breakpoint. */
function wrapString(raw: Buffer, m: { valueStart: number; valueEnd: number } | undefined, marker: string): Edit | undefined {
  if (!m || raw[m.valueStart] !== 0x22 /* " */) return undefined;
  return { at: m.valueStart, to: m.valueEnd, text: `[{"type":"text","text":${raw.subarray(m.valueStart, m.valueEnd).toString('utf8')},"cache_control":${marker}}]` };
}

/** Inserts `,"cache_control":…` before the closing brace of the last element of a top-level array member. */
function appendToLast(raw: Buffer, open: number, key: string, marker: string): Edit | undefined {
  const m = findTopLevelMember(raw, open, key);
  if (!m) return undefined;
  const last = arrayElements(raw, m.valueStart)?.at(-1);
  if (!last || raw[last.start] !== 0x7b) return undefined;
  return appendInside(raw, last, marker);
}

/**
 * Inserts `,"cache_control":…` before the closing brace of the object at [start, end). A block
 * that already has the member (only `null` gets here: any other value is the client's own
 * breakpoint) has its value replaced, since a second key would make the object ambiguous.
 */
function appendInside(raw: Buffer, obj: { start: number; end: number }, marker: string): Edit {
  const own = findTopLevelMember(raw, obj.start, 'cache_control');
  if (own) return { at: own.valueStart, to: own.valueEnd, text: marker };
  const close = obj.end - 1;
  const empty = raw[firstNonSpace(raw, obj.start + 1)] === 0x7d;
  return { at: close, to: close, text: `${empty ? '' : ','}"cache_control":${marker}` };
}

function firstNonSpace(buf: Buffer, from = 0): number {
  let i = from;
  while (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0a || buf[i] === 0x0d) i++;
  return i;
}
