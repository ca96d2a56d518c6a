import { parseInstant } from '../../core/instant.js';
import { tokens } from '../../core/usage.js';
import { agentVersion } from '../row.js';

/**
 * One usage-bearing line of a Claude Code transcript (usage-formats.md §1.6), checked.
 * Pure: no I/O.
 */
export interface ClaudeEntry {
  ts: number;
  messageId: string | null;
  requestId: string | null;
  sessionId: string | null;
  cwd: string | null;
  model: string;
  sidechain: boolean;
  /** The raw Anthropic `usage` object. */
  usage: Record<string, unknown>;
  /** input + output + cache writes + cache reads: which copy of a response is the final one. */
  total: number;
  fast: boolean;
  serviceTier: string | undefined;
  uuid: string | null;
  /** Claude Code's version (`2.1.197`), when the line names one that reads as a version. */
  version: string | null;
  /** The subagent that wrote the line (a subagent transcript's `agentId`), else null. */
  agentId: string | null;
}


type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A present id must be a non-empty string; absent (or null) is allowed. */
function optionalId(v: unknown): string | null | false {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' && v.length > 0 ? v : false;
}

/**
 * Reads a parsed transcript line. Returns undefined for lines that carry no billable
 * usage: no `message.usage`, no timestamp (or one on a day that does not exist), an empty id, `<synthetic>` messages Claude
 * Code makes locally, or zero tokens. Agent "progress" lines that wrap the message as
 * `data.message` are unwrapped.
 */
export function claudeEntry(line: Json): ClaudeEntry | undefined {
  const outer = line;
  let inner = line;
  if (!isObject(line.message) && isObject(line.data) && isObject(line.data.message)) inner = line.data.message;
  const message = inner.message;
  if (!isObject(message) || !isObject(message.usage)) return undefined;
  const usage = message.usage;
  if (typeof usage.input_tokens !== 'number' || typeof usage.output_tokens !== 'number') return undefined;
  const stamp = inner.timestamp ?? outer.timestamp;
  // Not Date.parse: it reads a time without an offset in this machine's zone and rolls 30 February into March.
  const ts = typeof stamp === 'string' ? parseInstant(stamp) : undefined;
  if (ts === undefined) return undefined;
  const messageId = optionalId(message.id);
  const requestId = optionalId(inner.requestId ?? outer.requestId);
  const sessionId = optionalId(outer.sessionId ?? inner.sessionId);
  const model = optionalId(message.model);
  if (messageId === false || requestId === false || sessionId === false || model === false) return undefined;
  if (model === '<synthetic>') return undefined;
  const total = tokens(usage.input_tokens) + tokens(usage.output_tokens) + tokens(usage.cache_creation_input_tokens) + tokens(usage.cache_read_input_tokens);
  if (total === 0) return undefined;
  const cwd = typeof outer.cwd === 'string' && outer.cwd ? outer.cwd : null;
  return {
    ts,
    messageId,
    requestId,
    sessionId,
    cwd,
    model: model ?? 'unknown',
    sidechain: inner.isSidechain === true || outer.isSidechain === true,
    usage,
    total,
    fast: usage.speed === 'fast',
    serviceTier: typeof usage.service_tier === 'string' ? usage.service_tier : undefined,
    uuid: typeof outer.uuid === 'string' ? outer.uuid : null,
    version: agentVersion(outer.version),
    agentId: typeof outer.agentId === 'string' && outer.agentId !== '' ? outer.agentId.slice(0, 200) : null,
  };
}
