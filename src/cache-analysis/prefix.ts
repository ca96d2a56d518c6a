import { hash } from 'node:crypto';
import type { Api } from '../core/api.js';
import { estimateInputTokens } from '../metering/estimate.js';

/**
 * A request's prompt prefix as hashes, never as text: one entry per block in the order
 * the provider renders and caches the prompt (tools, then system, then messages).
 * Stored with the ledger row (column `prefix`) so the cache analyser can tell which
 * requests shared which prefix.
 */
export interface PrefixRecord {
  v: 1;
  /** Blocks in the prompt, including any beyond the stored ones. */
  n: number;
  /** The first MAX_BLOCKS blocks: [kind, hash, approximate tokens, text only when `store_prompts` is on]. */
  b: PrefixBlock[];
  /** Explicit cache breakpoints: [block position, ttl]. */
  bp: [number, string][];
  /** Approximate tokens of every block, stored or not. */
  e: number;
}

/** `t` a tool definition, `s` a system/instructions block, `m` a message block. */
export type BlockKind = 't' | 's' | 'm';
export type PrefixBlock = [BlockKind, string, number] | [BlockKind, string, number, string];

/** Enough for the tools, the system prompt and a long conversation, while keeping a row small. */
export const MAX_BLOCKS = 128;
/** With `store_prompts`, each block keeps at most this many characters of its text. */
const MAX_TEXT = 2000;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The APIs whose prompts are hashed. */
export function hashesPrompts(api: Api): boolean {
  return api === 'anthropic.messages' || api === 'openai.chat' || api === 'openai.responses' || api === 'gemini.generate';
}

/** Hashes a parsed request body. Undefined for APIs without a prompt, or a body that is not an object. */
export function hashPrefix(api: Api, body: unknown, storeText = false): PrefixRecord | undefined {
  if (!isObj(body) || !hashesPrompts(api)) return undefined;
  const out = new Builder(storeText);
  if (api === 'anthropic.messages') anthropic(body, out);
  else if (api === 'openai.chat') openaiChat(body, out);
  else if (api === 'openai.responses') openaiResponses(body, out);
  else gemini(body, out);
  return out.record();
}

class Builder {
  private n = 0;
  private e = 0;
  private readonly b: PrefixBlock[] = [];
  private readonly bp: [number, string][] = [];

  private readonly storeText: boolean;

  constructor(storeText: boolean) {
    this.storeText = storeText;
  }

  /** Adds one block; `marker` is the block's cache breakpoint field name, left out of the hash. */
  add(kind: BlockKind, block: unknown, extra?: string, marker?: string): void {
    const pos = this.n++;
    let hashed = block;
    if (marker !== undefined && isObj(block) && Object.hasOwn(block, marker)) {
      const { [marker]: mark, ...rest } = block;
      hashed = rest;
      if (mark !== null && mark !== undefined) this.bp.push([pos, ttlOf(mark)]);
    }
    const tokens = estimateInputTokens(hashed);
    this.e += tokens;
    if (pos >= MAX_BLOCKS) return;
    const text = (extra === undefined ? '' : extra + '\n') + JSON.stringify(hashed);
    const h = hash('sha256', text, 'hex').slice(0, 16);
    this.b.push(this.storeText ? [kind, h, tokens, text.slice(0, MAX_TEXT)] : [kind, h, tokens]);
  }

  /** Top-level automatic caching: the breakpoint goes on the last block. */
  autoBreakpoint(mark: unknown): void {
    if (this.n > 0 && !this.bp.some(([p]) => p === this.n - 1)) this.bp.push([this.n - 1, ttlOf(mark)]);
  }

  record(): PrefixRecord {
    return { v: 1, n: this.n, b: this.b, bp: this.bp.sort((x, y) => x[0] - y[0]), e: this.e };
  }
}

function ttlOf(mark: unknown): string {
  return isObj(mark) && typeof mark.ttl === 'string' ? mark.ttl : 'default';
}

const CACHE_CONTROL = 'cache_control';

function anthropic(body: Obj, out: Builder): void {
  for (const t of arr(body.tools)) out.add('t', t, undefined, CACHE_CONTROL);
  if (typeof body.system === 'string') out.add('s', body.system);
  else for (const s of arr(body.system)) out.add('s', s, undefined, CACHE_CONTROL);
  for (const m of arr(body.messages)) {
    if (!isObj(m)) continue;
    const role = typeof m.role === 'string' ? m.role : '';
    if (typeof m.content === 'string') out.add('m', m.content, role);
    else for (const c of arr(m.content)) out.add('m', c, role, CACHE_CONTROL);
  }
  if (isObj(body.cache_control)) out.autoBreakpoint(body.cache_control);
}

const OPENAI_MARKER = 'prompt_cache_breakpoint';
const SYSTEM_ROLES = new Set(['system', 'developer']);

function openaiChat(body: Obj, out: Builder): void {
  for (const t of arr(body.tools)) out.add('t', t);
  // A structured-output schema acts as a prefix to the system message.
  if (body.response_format !== undefined) out.add('t', body.response_format);
  for (const m of arr(body.messages)) {
    if (!isObj(m)) continue;
    const role = typeof m.role === 'string' ? m.role : '';
    const kind = SYSTEM_ROLES.has(role) ? 's' : 'm';
    const { content, ...rest } = m;
    const head = role + (Object.keys(rest).length > 1 ? JSON.stringify(rest) : '');
    if (Array.isArray(content)) for (const c of content) out.add(kind, c, head, OPENAI_MARKER);
    else out.add(kind, content ?? null, head);
  }
}

function openaiResponses(body: Obj, out: Builder): void {
  for (const t of arr(body.tools)) out.add('t', t);
  if (isObj(body.text) && body.text.format !== undefined) out.add('t', body.text.format);
  if (body.instructions !== undefined && body.instructions !== null) out.add('s', body.instructions);
  if (typeof body.input === 'string') {
    out.add('m', body.input, 'user');
    return;
  }
  for (const item of arr(body.input)) {
    if (!isObj(item)) continue;
    const role = typeof item.role === 'string' ? item.role : '';
    const kind = SYSTEM_ROLES.has(role) ? 's' : 'm';
    if (Array.isArray(item.content)) for (const c of item.content) out.add(kind, c, role, OPENAI_MARKER);
    else out.add(kind, item, role);
  }
}

function gemini(body: Obj, out: Builder): void {
  for (const t of arr(body.tools)) out.add('t', t);
  if (typeof body.cachedContent === 'string') out.add('s', body.cachedContent, 'cachedContent');
  const sys = body.systemInstruction ?? body.system_instruction;
  if (typeof sys === 'string') out.add('s', sys);
  else if (isObj(sys)) for (const p of arr(sys.parts)) out.add('s', p);
  for (const c of arr(body.contents)) {
    if (!isObj(c)) continue;
    const role = typeof c.role === 'string' ? c.role : 'user';
    for (const p of arr(c.parts)) out.add('m', p, role);
  }
}

/** The stored form (one JSON text column). */
export function encodePrefix(p: PrefixRecord): string {
  return JSON.stringify(p);
}

/** Reads a stored prefix; undefined when absent or not one we understand. */
export function decodePrefix(text: string | null | undefined): PrefixRecord | undefined {
  if (!text) return undefined;
  try {
    const p = JSON.parse(text) as Partial<PrefixRecord>;
    return p.v === 1 && Array.isArray(p.b) && Array.isArray(p.bp) && typeof p.n === 'number' && typeof p.e === 'number' ? (p as PrefixRecord) : undefined;
  } catch {
    return undefined;
  }
}
