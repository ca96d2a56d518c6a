import { hash } from 'node:crypto';
import { type Api, isConversation } from '../core/api.js';

/**
 * The prompt-prefix key of a request: a hash of what providers cache first (the system
 * prompt and the tool definitions), read from the body the proxy already parsed.
 * Undefined when the prefix is too short for any provider to cache.
 */
export function prefixKey(api: Api, json: unknown, minChars: number): string | undefined {
  // Without a conversation there is no stable system part (a text completion's prompt is all of it, different each time).
  if (json === null || typeof json !== 'object' || !isConversation(api)) return undefined;
  const b = json as Record<string, unknown>;
  let system: unknown;
  switch (api) {
    case 'anthropic.messages':
      system = b.system;
      break;
    case 'openai.chat': {
      const m0 = Array.isArray(b.messages) ? (b.messages[0] as Record<string, unknown> | undefined) : undefined;
      system = m0 && (m0.role === 'system' || m0.role === 'developer') ? m0.content : undefined;
      break;
    }
    case 'openai.responses':
    case 'openai.compact':
      system = b.instructions;
      break;
    case 'gemini.generate':
      system = b.systemInstruction ?? b.system_instruction;
      break;
    // Counting tokens caches nothing.
    case 'openai.input_tokens':
    case 'anthropic.count_tokens':
    case 'gemini.count_tokens':
      return undefined;
  }
  const tools = b.tools;
  if (system === undefined && tools === undefined) return undefined;
  const text = (typeof system === 'string' ? system : JSON.stringify(system ?? '')) + '\u0000' + (tools === undefined ? '' : JSON.stringify(tools));
  if (text.length < minChars) return undefined;
  return 'p:' + hash('sha1', text, 'base64');
}

/**
 * Which deployment last served a session or prompt prefix: a bounded map whose entries
 * lapse after `ttlMs` without use (a provider's prompt cache lapses too). Each `set` also drops
 * the stalest entries past the longest ttl it has been given: a map read only by the keys still
 * in use otherwise held every lapsed session until 50,000 pushed them out.
 */
export class AffinityMap {
  /** In order of last `set`, stalest first. */
  private readonly entries = new Map<string, { deployment: string; at: number }>();
  private readonly max: number;
  /** The longest ttl any route asked for: an entry older than it serves none. */
  private longestTtlMs = 0;

  constructor(max = 50_000) {
    this.max = max;
  }

  get(key: string, now: number, ttlMs: number): string | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (now - e.at > ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e.deployment;
  }

  set(key: string, deployment: string, now: number, ttlMs: number): void {
    if (ttlMs > this.longestTtlMs) this.longestTtlMs = ttlMs;
    this.entries.delete(key);
    // A few at a time, so that no one request pays for a long idle spell's sweep.
    let swept = 0;
    for (const [k, e] of this.entries) {
      if (now - e.at <= this.longestTtlMs || swept++ === SWEEP_PER_SET) break;
      this.entries.delete(k);
    }
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { deployment, at: now });
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Lapsed entries dropped at most per `set`: more than one, so they go faster than they come. */
const SWEEP_PER_SET = 16;
