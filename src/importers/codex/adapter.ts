import { EARLIEST_MS } from '../../core/instant.js';
import { zeroUsage } from '../../core/usage.js';
import type { RunContext, SourceAdapter, SourceRun } from '../adapter.js';
import type { FoundFile } from '../discover.js';
import { CODEX_LOG, importedRow, stableId } from '../row.js';
import { type CodexFileState, type CodexUsageEvent, codexLine, newCodexFileState } from './events.js';

/**
 * The row id of a token count: its timestamp, model and counts, so that the same event
 * found in two files (a resumed or archived session) is one row. Not its cache writes, read
 * since 2026-12-07: a row imported before keeps its id.
 */
export function codexRowId(e: CodexUsageEvent): string {
  const t = e.tokens;
  return stableId('cx_', e.stamp, e.model ?? '', String(t.input), String(t.cached), String(t.output), String(t.reasoning), String(t.total));
}

/**
 * The line kinds read, found in one pass over a line: a search per name stops at every quote,
 * and tool output is full of them (4.3 MB of such lines: 5.1 ms with three searches, 1.7 with this).
 */
const KINDS = /"(?:token_count|token_usage_record|turn_context|session_meta)"/;

/** Codex CLI rollouts: `sessions/YYYY/MM/DD/rollout-*.jsonl`. */
export const codexAdapter: SourceAdapter = {
  source: 'codex',
  rowSource: CODEX_LOG,
  marker: undefined,
  start: (ctx) => codexRun(ctx),
};

function codexRun(ctx: RunContext): SourceRun {
  let file: FoundFile | undefined;
  let state: CodexFileState = newCodexFileState();
  return {
    beginFile: (f, saved) => {
      file = f;
      state = isState(saved) ? saved : newCodexFileState();
    },
    line: (text) => {
      // Most lines are messages and tool output: only four kinds matter.
      if (!KINDS.test(text)) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return;
      }
      if (typeof parsed !== 'object' || parsed === null) return;
      const e = codexLine(parsed as Record<string, unknown>, state);
      if (!e) return;
      // Its counts still moved the file's cumulative total: the next count's difference leaves them out.
      if (e.ts < EARLIEST_MS) return ctx.tooEarly();
      const f = file!;
      const s = { ...state };
      // Files are read in path order, which is time order under sessions/YYYY/MM/DD: the first
      // copy of an event is the session that made it, not a fork that copied it.
      ctx.changes.putFirst(codexRowId(e), { build: () => row(ctx, e, s, f) });
    },
    endFile: () => state,
    memory: () => undefined,
  };
}

function row(ctx: RunContext, e: CodexUsageEvent, s: CodexFileState, file: FoundFile) {
  const usage = zeroUsage();
  usage.inputTokens = e.tokens.input;
  usage.cacheReadTokens = Math.min(e.tokens.cached, e.tokens.input);
  usage.cacheWriteTokens = Math.min(e.tokens.cacheWrite ?? 0, e.tokens.input - usage.cacheReadTokens);
  usage.outputTokens = e.tokens.output;
  usage.reasoningTokens = Math.min(e.tokens.reasoning, e.tokens.output);
  const session = s.session ?? file.relative.replace(/^.*\//, '').replace(/\.jsonl$/, '');
  return importedRow(
    {
      id: codexRowId(e),
      ts: e.ts,
      api: 'openai.responses',
      provider: 'openai',
      // Early Codex builds wrote no turn_context: the model is then unknown (and the row unpriced).
      model: e.model ?? 'unknown',
      user: ctx.attribution.user,
      team: ctx.attribution.team,
      project: ctx.attribution.project ?? (s.cwd ? ctx.projectOf(s.cwd) : null),
      sessionId: session,
      client: 'codex',
      clientVersion: s.version ?? null,
      usage,
      upstreamRequestId: null,
      // Matched against the gateway's row of the response, whatever session that row has (a sub-agent's is its parent's).
      responseId: e.responseId,
      source: CODEX_LOG,
    },
    ctx.price,
  );
}

function isState(v: unknown): v is CodexFileState {
  return typeof v === 'object' && v !== null && 'cumulative' in v && 'model' in v;
}
