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
 * lapse after `ttlMs` without use (a provider's prompt cache lapses too).
 */
export class AffinityMap {
  private readonly entries = new Map<string, { deployment: string; at: number }>();
  private readonly max: number;

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

  set(key: string, deployment: string, now: number): void {
    const e = this.entries.get(key);
    if (e !== undefined) {
      e.deployment = deployment;
      e.at = now;
      return;
    }
    // Oldest first by insertion order: a full map drops the longest-held entry.
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { deployment, at: now });
  }
}
