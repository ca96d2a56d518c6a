import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A synthetic Claude Code (and Codex) log corpus, seeded and deterministic, written the
 * way the agents write it (usage-formats.md §1.6, §1.9): one line per content block with a
 * placeholder output count on early blocks, large tool results, sub-agent files that
 * replay a parent message as a sidechain, resumed sessions that copy earlier lines into a
 * new file, and unrelated line types. `expected` is the ground truth, counted while
 * generating: every response once, with its final usage.
 */
export interface CorpusOptions {
  out: string;
  /** Approximate size of the Claude Code part, in MB. */
  mb: number;
  seed?: number;
  days?: number;
  /** Codex rollouts, in MB (0: none). */
  codexMb?: number;
}

export interface Totals {
  responses: number;
  input: number;
  output: number;
  cacheCreate: number;
  cacheCreate1h: number;
  cacheRead: number;
}

export interface CorpusResult {
  claudeDir: string;
  codexDir: string;
  bytes: number;
  files: number;
  lines: number;
  usageLines: number;
  expected: { claude: Totals; codex: Totals; claudeByDay: Record<string, Totals> };
}

const MODELS = ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805', 'claude-haiku-4-5-20251001'];
const START = Date.UTC(2026, 9, 20);

const zero = (): Totals => ({ responses: 0, input: 0, output: 0, cacheCreate: 0, cacheCreate1h: 0, cacheRead: 0 });

export function generateCorpus(o: CorpusOptions): CorpusResult {
  const r = rng(o.seed ?? 42);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-8${hex(3)}-${hex(12)}`;
  const filler = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor '.repeat(200);
  const text = (n: number) => filler.slice(0, n);
  const days = o.days ?? 30;
  const claudeDir = join(o.out, 'claude');
  const codexDir = join(o.out, 'codex');
  const expected = { claude: zero(), codex: zero(), claudeByDay: {} as Record<string, Totals> };
  const target = o.mb * 1024 * 1024;
  let bytes = 0;
  let files = 0;
  let lines = 0;
  let usageLines = 0;
  const written: { project: string; lines: string[] }[] = [];

  const count = (ts: number, u: { input_tokens: number; output_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number; h1: number }) => {
    const day = new Date(ts).toISOString().slice(0, 10);
    for (const t of [expected.claude, (expected.claudeByDay[day] ??= zero())]) {
      t.responses++;
      t.input += u.input_tokens;
      t.output += u.output_tokens;
      t.cacheCreate += u.cache_creation_input_tokens;
      t.cacheCreate1h += u.h1;
      t.cacheRead += u.cache_read_input_tokens;
    }
  };

  const save = (path: string, content: string[]) => {
    mkdirSync(join(path, '..'), { recursive: true });
    const body = content.join('\n') + '\n';
    writeFileSync(path, body);
    bytes += Buffer.byteLength(body);
    files++;
    lines += content.length;
  };

  const projects = Array.from({ length: 12 }, (_, i) => `/home/dev/work/project-${i}`);
  while (bytes < target) {
    const cwd = projects[int(0, projects.length - 1)]!;
    const slug = cwd.replace(/\//g, '-');
    const session = uuid();
    const model = MODELS[int(0, MODELS.length - 1)]!;
    let ts = START + int(0, days - 1) * 86_400_000 + int(0, 20) * 3_600_000;
    const out: string[] = [];
    const resumed = written.length > 0 && r() < 0.15 ? written[int(0, written.length - 1)]! : undefined;
    if (resumed && resumed.project === slug) {
      // A resumed session starts with a copy of the earlier session's lines.
      out.push(...resumed.lines.slice(0, Math.min(resumed.lines.length, int(5, 40))));
      usageLines += out.filter((l) => l.includes('"usage":{')).length;
    }
    out.push(JSON.stringify({ type: 'summary', summary: 'Work on the importer', leafUuid: uuid() }));
    let replay: string | undefined;
    const turns = int(5, 40);
    let context = int(5_000, 30_000);
    for (let t = 0; t < turns; t++) {
      ts += int(5, 120) * 1000;
      out.push(JSON.stringify({ parentUuid: uuid(), isSidechain: false, userType: 'external', cwd, sessionId: session, version: '2.1.114', gitBranch: 'main', type: 'user', message: { role: 'user', content: text(int(50, 400)) }, uuid: uuid(), timestamp: new Date(ts).toISOString() }));
      const msgId = `msg_01${hex(22)}`;
      const reqId = `req_011C${hex(20)}`;
      const blocks = int(1, 3);
      const h1 = r() < 0.2 ? int(0, 5000) : 0;
      const create = int(0, 12_000) + h1;
      const usage = { input_tokens: int(1, 30), cache_creation_input_tokens: create, cache_read_input_tokens: context, output_tokens: int(20, 3000), h1 };
      context = Math.min(150_000, context + int(500, 4000));
      for (let b = 0; b < blocks; b++) {
        const last = b === blocks - 1;
        const u = {
          input_tokens: usage.input_tokens,
          cache_creation_input_tokens: usage.cache_creation_input_tokens,
          cache_read_input_tokens: usage.cache_read_input_tokens,
          cache_creation: { ephemeral_5m_input_tokens: create - h1, ephemeral_1h_input_tokens: h1 },
          output_tokens: last ? usage.output_tokens : int(1, 8),
          service_tier: 'standard',
        };
        const content = b === 0 && blocks > 1 ? [{ type: 'text', text: text(int(50, 600)) }] : [{ type: 'tool_use', id: `toolu_${hex(20)}`, name: 'Bash', input: { command: 'ls -la' } }];
        const line = JSON.stringify({ parentUuid: uuid(), isSidechain: false, userType: 'external', cwd, sessionId: session, version: '2.1.114', gitBranch: 'main', message: { model, id: msgId, type: 'message', role: 'assistant', content, stop_reason: last ? 'tool_use' : null, stop_sequence: null, usage: u }, requestId: reqId, type: 'assistant', uuid: uuid(), timestamp: new Date(ts + b * 200).toISOString() });
        out.push(line);
        usageLines++;
        if (last && replay === undefined && r() < 0.3) replay = line;
      }
      count(ts, usage);
      // The tool's output comes back as a large user line.
      out.push(JSON.stringify({ parentUuid: uuid(), isSidechain: false, userType: 'external', cwd, sessionId: session, version: '2.1.114', type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${hex(20)}`, content: text(int(500, 14_000)) }] }, uuid: uuid(), timestamp: new Date(ts + 1500).toISOString() }));
      if (r() < 0.05) out.push(JSON.stringify({ type: 'system', subtype: 'info', content: 'compacting', timestamp: new Date(ts).toISOString(), uuid: uuid(), sessionId: session }));
    }
    save(join(claudeDir, 'projects', slug, `${session}.jsonl`), out);
    written.push({ project: slug, lines: out });
    if (written.length > 40) written.shift();

    if (replay && r() < 0.5) {
      // A sub-agent file: a sidechain replay of a parent message under a new request id, then its own work.
      const agent: string[] = [];
      const copy = JSON.parse(replay) as { isSidechain: boolean; requestId: string; agentId?: string };
      copy.isSidechain = true;
      copy.requestId = `req_011C${hex(20)}`;
      copy.agentId = hex(8);
      agent.push(JSON.stringify(copy));
      usageLines++;
      for (let t = 0; t < int(1, 5); t++) {
        ts += 3000;
        const usage = { input_tokens: int(1, 30), cache_creation_input_tokens: int(0, 3000), cache_read_input_tokens: int(1000, 20_000), output_tokens: int(20, 800), h1: 0 };
        agent.push(JSON.stringify({ parentUuid: uuid(), isSidechain: true, agentId: copy.agentId, userType: 'external', cwd, sessionId: session, version: '2.1.114', message: { model: 'claude-haiku-4-5-20251001', id: `msg_01${hex(22)}`, type: 'message', role: 'assistant', content: [{ type: 'text', text: text(200) }], usage: { ...usage, h1: undefined } }, requestId: `req_011C${hex(20)}`, type: 'assistant', uuid: uuid(), timestamp: new Date(ts).toISOString() }));
        usageLines++;
        count(ts, usage);
      }
      save(join(claudeDir, 'projects', slug, session, 'subagents', `agent-${copy.agentId}.jsonl`), agent);
    }
  }
  if (o.codexMb) codex(o.codexMb, codexDir, r, expected.codex, save);
  return { claudeDir, codexDir, bytes, files, lines, usageLines, expected };
}

function codex(mb: number, dir: string, r: () => number, t: Totals, save: (path: string, lines: string[]) => void): void {
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const target = mb * 1024 * 1024;
  let size = 0;
  let n = 0;
  while (size < target) {
    const day = int(1, 28);
    let ts = Date.UTC(2026, 10, day, int(0, 20));
    const id = `019a${n.toString(16).padStart(4, '0')}-0000-7000-8000-${(n++).toString(16).padStart(12, '0')}`;
    const lines = [JSON.stringify({ timestamp: new Date(ts).toISOString(), type: 'session_meta', payload: { id, timestamp: new Date(ts).toISOString(), cwd: '/home/dev/work/project-1', originator: 'codex_cli_rs', cli_version: '0.60.0', model_provider: 'openai' } })];
    lines.push(JSON.stringify({ timestamp: new Date(ts).toISOString(), type: 'turn_context', payload: { cwd: '/home/dev/work/project-1', model: 'gpt-5-codex', effort: 'medium' } }));
    const cum = { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, reasoning_output_tokens: 0, total_tokens: 0 };
    for (let k = 0; k < int(3, 30); k++) {
      ts += int(5, 90) * 1000;
      lines.push(JSON.stringify({ timestamp: new Date(ts).toISOString(), type: 'response_item', payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'x'.repeat(int(200, 6000)) }] } }));
      const input = int(2000, 60_000);
      const last = { input_tokens: input, cached_input_tokens: int(0, input), output_tokens: int(50, 3000), reasoning_output_tokens: 0, total_tokens: 0 };
      last.reasoning_output_tokens = int(0, last.output_tokens);
      last.total_tokens = last.input_tokens + last.output_tokens;
      for (const key of Object.keys(cum) as (keyof typeof cum)[]) cum[key] += last[key];
      const event = JSON.stringify({ timestamp: new Date(ts).toISOString(), type: 'event_msg', payload: { type: 'token_count', info: { total_token_usage: { ...cum }, last_token_usage: last, model_context_window: 272000 } } });
      lines.push(event);
      // Codex repeats a token_count with an unchanged total now and then.
      if (r() < 0.2) lines.push(event.replace(new Date(ts).toISOString(), new Date(ts + 1000).toISOString()));
      t.responses++;
      t.input += last.input_tokens;
      t.cacheRead += last.cached_input_tokens;
      t.output += last.output_tokens;
    }
    const body = lines.join('\n');
    size += body.length;
    const d = String(day).padStart(2, '0');
    save(join(dir, 'sessions', '2026', '11', d, `rollout-2026-11-${d}T00-00-00-${id}.jsonl`), lines);
  }
}

/** A seeded pseudo-random generator (mulberry32), so a corpus is the same on every machine. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
