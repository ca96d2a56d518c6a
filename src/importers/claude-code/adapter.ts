import { EARLIEST_MS } from '../../core/instant.js';
import type { LedgerRow } from '../../core/ledger-row.js';
import type { Usage } from '../../core/usage.js';
import { anthropicUsage } from '../../providers/anthropic/usage.js';
import type { RunContext, SourceAdapter, SourceRun } from '../adapter.js';
import type { PendingRow } from '../changes.js';
import type { FoundFile } from '../discover.js';
import { CLAUDE_CODE_LOG, importedRow, stableId } from '../row.js';
import { type Kept, type Memory, forget, offer } from './dedup.js';
import { type ClaudeEntry, claudeEntry } from './entry.js';

/** Messages not seen for this many days are forgotten (Claude Code keeps transcripts 30 days by default). */
const MEMORY_DAYS = 90;

/** The row id of a response: its message id and request id, so every copy of it maps to one row. */
export function claudeRowId(messageId: string, requestId: string): string {
  return stableId('cc_', messageId, requestId);
}

/** Claude Code transcripts: `projects/<slug>/<session>.jsonl` and sub-agent files below. */
export const claudeCodeAdapter: SourceAdapter = {
  source: 'claude-code',
  rowSource: CLAUDE_CODE_LOG,
  marker: Buffer.from('"usage"'),
  start: (ctx, saved) => claudeRun(ctx, toMemory(saved)),
};

/** A usage line, checked, and the line's length (part of the id of a line with neither message id nor uuid). */
export interface ParsedClaudeLine {
  e: ClaudeEntry;
  length: number;
}

/** Parses one line; undefined for a torn or foreign line, or one without billable usage. Pure. */
export function parseClaudeLine(text: string): ParsedClaudeLine | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const e = claudeEntry(parsed as Record<string, unknown>);
  return e ? { e, length: text.length } : undefined;
}

function claudeRun(ctx: RunContext, memory: Memory): SourceRun {
  // Messages counted by an earlier run: their row is in the ledger and may need replacing.
  const known = new Set(memory.keys());
  let file: FoundFile | undefined;
  let latestDay = 0;
  // Row ids are hashes, asked for once per kept line; a response's lines are mostly
  // consecutive, so the last id is kept (a map of them all held a key string per response).
  let last = { messageId: '', requestId: '', id: '' };
  const rowId = (messageId: string, requestId: string) => {
    if (messageId !== last.messageId || requestId !== last.requestId) last = { messageId, requestId, id: claudeRowId(messageId, requestId) };
    return last.id;
  };
  // A kept line lives until the rows are built: its repeated strings are shared, not one
  // copy per line (fewer survivors for the garbage collector to copy).
  const strings = new Map<string, string>();
  const intern = <T extends string | null>(s: T): T => {
    if (s === null) return s;
    const hit = strings.get(s);
    if (hit !== undefined) return hit as T;
    strings.set(s, s);
    return s;
  };
  const put = (id: string, e: ClaudeEntry, known: boolean) => ctx.changes.put(id, new KeptLine(ctx, file!, id, e, intern), known);
  const take = ({ e, length }: ParsedClaudeLine) => {
    if (e.ts < EARLIEST_MS) return ctx.tooEarly();
    latestDay = Math.max(latestDay, Math.floor(e.ts / 86_400_000));
    if (e.messageId === null) return put(stableId('cc_', 'line', e.uuid ?? `${file!.path}\u0000${e.ts}\u0000${length}`), e, false);
    const verdict = offer(memory, { messageId: e.messageId, requestId: e.requestId, sidechain: e.sidechain, total: e.total, fast: e.fast, ts: e.ts });
    if (!verdict.keep) return;
    if (verdict.replaces !== undefined) ctx.changes.remove(rowId(e.messageId, verdict.replaces));
    put(rowId(e.messageId, e.requestId ?? ''), e, known.has(e.messageId));
  };
  return {
    beginFile: (f) => {
      file = f;
    },
    line: (text) => {
      const p = parseClaudeLine(text);
      if (p) take(p);
    },
    endFile: () => undefined,
    memory: () => {
      if (latestDay > 0) forget(memory, latestDay - MEMORY_DAYS);
      return Object.fromEntries(memory);
    },
  };
}

/**
 * A kept line, as much of it as its row needs, until the run is over: one object with the
 * usage already mapped, rather than the parsed entry, its raw usage and a closure (a fifth
 * fewer bytes surviving the read for the garbage collector to copy).
 */
class KeptLine implements PendingRow {
  private readonly ctx: RunContext;
  private readonly file: FoundFile;
  readonly id: string;
  readonly ts: number;
  readonly model: string;
  readonly sessionId: string | null;
  readonly cwd: string | null;
  readonly messageId: string | null;
  readonly requestId: string | null;
  readonly serviceTier: string | undefined;
  readonly version: string | null;
  readonly agentId: string | null;
  readonly usage: Usage;

  constructor(ctx: RunContext, file: FoundFile, id: string, e: ClaudeEntry, intern: <T extends string | null>(s: T) => T) {
    this.ctx = ctx;
    this.file = file;
    this.id = id;
    this.ts = e.ts;
    this.model = intern(e.model);
    this.sessionId = intern(e.sessionId);
    this.cwd = intern(e.cwd);
    this.messageId = e.messageId;
    this.requestId = e.requestId;
    this.serviceTier = e.serviceTier === undefined ? undefined : intern(e.serviceTier);
    this.version = intern(e.version);
    this.agentId = intern(e.agentId);
    this.usage = anthropicUsage(e.usage);
  }

  build(): LedgerRow {
    const { ctx, file } = this;
    const slug = file.relative.includes('/') ? file.relative.slice(0, file.relative.indexOf('/')) : null;
    const session = this.sessionId ?? file.relative.replace(/^.*\//, '').replace(/\.jsonl$/, '');
    return importedRow(
      {
        id: this.id,
        ts: this.ts,
        api: 'anthropic.messages',
        provider: 'anthropic',
        model: this.model,
        user: ctx.attribution.user,
        team: ctx.attribution.team,
        project: ctx.attribution.project ?? (this.cwd ? ctx.projectOf(this.cwd) : slug),
        sessionId: session,
        client: 'claude-code',
        usage: this.usage,
        upstreamRequestId: this.requestId,
        // The Messages API's id: what the gateway records as the response id of the same call.
        responseId: this.messageId,
        source: CLAUDE_CODE_LOG,
        serviceTier: this.serviceTier,
        clientVersion: this.version,
        agentId: this.agentId,
      },
      ctx.price,
    );
  }
}

function toMemory(saved: unknown): Memory {
  if (typeof saved !== 'object' || saved === null) return new Map();
  return new Map(Object.entries(saved as Record<string, Kept[]>).filter(([, v]) => Array.isArray(v)));
}
