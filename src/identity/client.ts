import type { HeaderBag } from '../providers/types.js';
import { codexTurnMetadata } from './codex-agent.js';

/**
 * Recognises the calling tool from the headers it sends by itself. Order matters:
 * agents embed an SDK, so agent markers are checked before SDK markers.
 */
export function detectClient(h: HeaderBag): string | null {
  const ua = h['user-agent'] ?? '';
  const originator = h['originator'] ?? '';
  if (ua.startsWith('claude-cli/') || h['x-app'] === 'cli') return 'claude-code';
  if (originator.startsWith('codex') || /^codex[_-]/.test(ua)) return 'codex';
  if (/cursor/i.test(ua)) return 'cursor';
  // The SDKs name their client class: AsyncOpenAI/Python, AzureOpenAI/JS, AsyncAnthropicBedrock/Python.
  if (/^(Async)?(Azure)?OpenAI\//.test(ua)) return 'openai-sdk';
  if (/^(Async)?Anthropic(Bedrock|Vertex|Foundry)?\//.test(ua)) return 'anthropic-sdk';
  if (/genai-js|google-genai-sdk/.test(h['x-goog-api-client'] ?? '') || /google-genai-sdk/.test(ua)) return 'genai-sdk';
  const product = /^([A-Za-z][\w.-]*)\//.exec(ua)?.[1];
  return product ? product.toLowerCase() : null;
}

/** A version as clients write it: digits first, then letters, digits and `.+-_` (no spaces, no quotes). */
const VERSION = /^v?(\d[\w.+-]{0,39})(?:[\s;(]|$)/;

/**
 * The version of the calling tool, from the same headers: `claude-cli/2.1.197 (external, cli)`,
 * `codex_cli_rs/0.169.0 (…)`, `OpenAI/JS 6.49.0` (the SDKs put their language between), or
 * `google-genai-sdk/2.32.0 gl-node/v20` in `x-goog-api-client`. Null when the headers name none.
 */
export function detectClientVersion(h: HeaderBag): string | null {
  const goog = /(?:^|\s)google-genai-sdk\/(\S+)/.exec(h['x-goog-api-client'] ?? '');
  if (goog) return versionIn(goog[1]!);
  const ua = h['user-agent'] ?? '';
  const slash = ua.indexOf('/');
  if (slash <= 0 || !/^[A-Za-z][\w.-]*$/.test(ua.slice(0, slash))) return null;
  let rest = ua.slice(slash + 1);
  // The SDKs' `OpenAI/JS 6.49.0`, `Anthropic/Python 0.71.0`: a language, then the version.
  const lang = /^[A-Za-z][\w.]*\s+/.exec(rest);
  if (lang) rest = rest.slice(lang[0].length);
  return versionIn(rest);
}

function versionIn(text: string): string | null {
  return VERSION.exec(text)?.[1] ?? null;
}

/**
 * The session a request belongs to: Tollgate's own header first, then the headers
 * Claude Code and Codex send without being asked.
 */
export function detectSession(h: HeaderBag, meta = codexTurnMetadata(h)): string | null {
  // The first that is set and not empty: an empty x-tollgate-session does not hide Claude Code's own.
  const direct = h['x-tollgate-session'] || h['x-claude-code-session-id'] || h['session-id'] || h['session_id'];
  if (direct) return direct.slice(0, 200);
  const session = meta?.session_id;
  return typeof session === 'string' && session !== '' ? session.slice(0, 200) : null;
}
