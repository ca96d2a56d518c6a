import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runTap, splitAt } from '../src/providers/testing/tap-runner.js';
import type { DialectAdapter, ResponseTap, RouteMatch, TapContext } from '../src/providers/types.js';
import { writeMarkedSection } from './sections.js';
import { median } from './stats.js';

// The taps timed are the build's in dist/, as `tollgate serve` runs them: tsx's transform of
// src/ adds a call to every closure created, which would be timed with them.
const built = <T>(path: string) => import(pathToFileURL(join(import.meta.dirname, '..', 'dist', path)).href) as Promise<T>;
const { anthropicAdapter } = await built<typeof import('../src/providers/anthropic/adapter.js')>('providers/anthropic/adapter.js');
const { AnthropicStreamReader } = await built<typeof import('../src/providers/anthropic/stream.js')>('providers/anthropic/stream.js');
const { geminiAdapter } = await built<typeof import('../src/providers/gemini/adapter.js')>('providers/gemini/adapter.js');
const { openaiAdapter } = await built<typeof import('../src/providers/openai/adapter.js')>('providers/openai/adapter.js');
const { ChatStreamReader } = await built<typeof import('../src/providers/openai/chat-stream.js')>('providers/openai/chat-stream.js');
const { ResponsesStreamReader } = await built<typeof import('../src/providers/openai/responses-stream.js')>('providers/openai/responses-stream.js');

// `npm run bench:taps [-- --rounds 9]`: CPU a streamed response costs the gateway's tap (the
// usage reader beside the bytes), per stream and per event, in-process, of the build in dist/. Each stream is fed as
// upstreams write it (one event per chunk) and cut every 1 KiB (chunks that end mid-event,
// which take the event parser). Observe taps are also run with their reader's `ignorable`
// removed: every chunk through the parser, as before chunk skipping. Writes docs/benchmarks.md.
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const ROUNDS = Number(arg('--rounds', '9'));
const DELTAS = 300;

const sse = (event: string | undefined, data: unknown, blank = '\n\n') => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}${blank}`;
const words = (i: number) => `word${i} and a few more tokens `;

function chatStream(injected: boolean): string[] {
  const head = { id: 'chatcmpl-Bench', object: 'chat.completion.chunk', created: 1795000000, model: 'gpt-5-2025-08-07', service_tier: 'default', system_fingerprint: null };
  // OpenAI adds "usage":null to every chunk when asked for usage, then an obfuscation member.
  const tail = (i: number) => (injected ? { usage: null, obfuscation: `pad${i % 10}` } : { obfuscation: `pad${i % 10}` });
  const out = [sse(undefined, { ...head, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }], ...tail(0) })];
  for (let i = 0; i < DELTAS; i++) out.push(sse(undefined, { ...head, choices: [{ index: 0, delta: { content: words(i) }, finish_reason: null }], ...tail(i) }));
  out.push(sse(undefined, { ...head, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], ...tail(1) }));
  out.push(sse(undefined, { ...head, choices: [], usage: { prompt_tokens: 4000, completion_tokens: DELTAS, total_tokens: 4000 + DELTAS, prompt_tokens_details: { cached_tokens: 3584 } } }));
  out.push('data: [DONE]\n\n');
  return out;
}

function anthropicStream(): string[] {
  const out = [
    sse('message_start', { type: 'message_start', message: { id: 'msg_bench', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [], stop_reason: null, usage: { input_tokens: 12, cache_creation_input_tokens: 2048, cache_read_input_tokens: 40960, output_tokens: 1 } } }),
    sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    sse('ping', { type: 'ping' }),
  ];
  for (let i = 0; i < DELTAS; i++) out.push(sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: words(i) } }));
  out.push(sse('content_block_stop', { type: 'content_block_stop', index: 0 }));
  out.push(sse('content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_bench', name: 'Bash', input: {} } }));
  for (let i = 0; i < 20; i++) out.push(sse('content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: i === 0 ? '{"command": "' : 'ls -la ' } }));
  out.push(sse('content_block_stop', { type: 'content_block_stop', index: 1 }));
  out.push(sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: DELTAS + 20 } }));
  out.push(sse('message_stop', { type: 'message_stop' }));
  return out;
}

function responsesStream(): string[] {
  const response = { id: 'resp_bench', object: 'response', model: 'gpt-5-2025-08-07', status: 'in_progress', output: [] };
  const out = [sse('response.created', { type: 'response.created', response }), sse('response.in_progress', { type: 'response.in_progress', response })];
  out.push(sse('response.output_item.added', { type: 'response.output_item.added', output_index: 0, item: { id: 'msg_1', type: 'message', role: 'assistant', content: [] } }));
  for (let i = 0; i < DELTAS; i++) out.push(sse('response.output_text.delta', { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, content_index: 0, delta: words(i) }));
  out.push(sse('response.completed', { type: 'response.completed', response: { ...response, status: 'completed', usage: { input_tokens: 4000, input_tokens_details: { cached_tokens: 3584 }, output_tokens: DELTAS, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 4000 + DELTAS } } }));
  return out;
}

function geminiStream(): string[] {
  const out: string[] = [];
  for (let i = 0; i < DELTAS; i++) {
    const usageMetadata = { promptTokenCount: 4000, candidatesTokenCount: i + 1, totalTokenCount: 4001 + i, cachedContentTokenCount: 3584 };
    // Google ends each event with CRLF CRLF (protocols.md §4.3).
    out.push(sse(undefined, { candidates: [{ content: { parts: [{ text: words(i) }], role: 'model' }, index: 0, ...(i === DELTAS - 1 ? { finishReason: 'STOP' } : {}) }], usageMetadata, modelVersion: 'gemini-2.5-pro' }, '\r\n\r\n'));
  }
  return out;
}

interface Case {
  name: string;
  adapter: DialectAdapter;
  route: RouteMatch;
  ctx: TapContext;
  events: string[];
  /** The reader whose `ignorable` the "parser always" variant removes. */
  reader?: { prototype: object };
}

const ctx = (over: Partial<TapContext> = {}): TapContext => ({ status: 200, contentType: 'text/event-stream', stream: true, injectedStreamUsage: false, requestedModel: 'm', ...over });
const cases: Case[] = [
  { name: 'OpenAI chat, usage injected by the gateway (rewrite tap)', adapter: openaiAdapter, route: { api: 'openai.chat', dialect: 'openai', method: 'POST' }, ctx: ctx({ injectedStreamUsage: true }), events: chatStream(true) },
  { name: 'OpenAI chat, usage asked by the client (observe)', adapter: openaiAdapter, route: { api: 'openai.chat', dialect: 'openai', method: 'POST' }, ctx: ctx(), events: chatStream(false), reader: ChatStreamReader },
  { name: 'OpenAI Responses (observe)', adapter: openaiAdapter, route: { api: 'openai.responses', dialect: 'openai', method: 'POST' }, ctx: ctx(), events: responsesStream(), reader: ResponsesStreamReader },
  { name: 'Anthropic Messages, text then a tool call (observe)', adapter: anthropicAdapter, route: { api: 'anthropic.messages', dialect: 'anthropic', method: 'POST' }, ctx: ctx(), events: anthropicStream(), reader: AnthropicStreamReader },
  { name: 'Gemini streamGenerateContent, alt=sse (observe)', adapter: geminiAdapter, route: { api: 'gemini.generate', dialect: 'gemini', method: 'POST', model: 'gemini-2.5-pro' }, ctx: ctx(), events: geminiStream() },
];

const noop = () => undefined;
function feed(tap: ResponseTap, chunks: readonly Buffer[], fresh: boolean): void {
  // A rewriting tap may edit its chunk in place, so it gets a fresh copy of each, as from a socket (the copy is in its figure).
  for (const c of chunks) tap.push(fresh ? Buffer.from(c) : c, noop);
  tap.finish(true, noop);
}

/** CPU µs per stream of each variant: the median over rounds, the variants taking turns within each round. */
function cpuPerStream(variants: readonly (() => void)[], n: number): number[] {
  const samples = variants.map(() => [] as number[]);
  for (let r = 0; r < ROUNDS; r++) {
    variants.forEach((run, v) => {
      const t = process.cpuUsage();
      for (let i = 0; i < n; i++) run();
      const u = process.cpuUsage(t);
      samples[v]!.push((u.user + u.system) / n);
    });
  }
  return samples.map(median);
}

/** Runs `run` with the reader's chunk skipping turned off. */
function parserAlways(reader: { prototype: object }, run: () => void): () => void {
  const proto = reader.prototype as { ignorable?: unknown };
  const saved = proto.ignorable;
  return () => {
    proto.ignorable = undefined;
    try {
      run();
    } finally {
      proto.ignorable = saved;
    }
  };
}

interface Row {
  name: string;
  events: number;
  bytes: number;
  aligned: number;
  kib: number;
  parserAlways: number | undefined;
}

const rows: Row[] = [];
const loadAtStart = loadavg()[0]!.toFixed(1);
for (const c of cases) {
  const whole = Buffer.from(c.events.join(''));
  const aligned = c.events.map((e) => Buffer.from(e));
  const kib = splitAt(whole, Array.from({ length: Math.ceil(whole.length / 1024) }, (_, i) => (i + 1) * 1024));
  // The chunkings must agree with one another before they are timed.
  const expected = runTap(c.adapter.createTap(c.route, c.ctx), [whole]).metered;
  for (const chunks of [aligned, kib]) {
    const got = runTap(c.adapter.createTap(c.route, c.ctx), chunks).metered;
    if (JSON.stringify(got) !== JSON.stringify(expected)) throw new Error(`${c.name}: chunking changed what was metered`);
  }
  const n = 400;
  const run = (chunks: Buffer[]) => () => feed(c.adapter.createTap(c.route, c.ctx), chunks, c.ctx.injectedStreamUsage);
  const variants = [run(aligned), run(kib), ...(c.reader ? [parserAlways(c.reader, run(aligned))] : [])];
  cpuPerStream(variants, n / 4); // warm-up
  const [a, k, always] = cpuPerStream(variants, n) as [number, number, number | undefined];
  rows.push({ name: c.name, events: c.events.length, bytes: whole.length, aligned: a, kib: k, parserAlways: always });
  process.stderr.write(`${c.name}: ${a.toFixed(1)} µs aligned, ${k.toFixed(1)} µs in 1 KiB pieces\n`);
}

const f = (v: number) => v.toFixed(1);
const table = rows
  .map((r) => `| ${r.name} | ${r.events} | ${(r.bytes / 1024).toFixed(0)} | ${f(r.aligned)} (${((r.aligned * 1000) / r.events).toFixed(0)} ns) | ${r.parserAlways === undefined ? '–' : `${f(r.parserAlways)} (${(r.parserAlways / r.aligned).toFixed(1)}×)`} | ${f(r.kib)} |`)
  .join('\n');
writeMarkedSection(
  'taps',
  `## Stream taps: CPU per streamed response

Measured on ${new Date().toISOString().slice(0, 10)} with \`npm run bench:taps\` (Node ${process.version}; 1-minute load average ${loadAtStart} at the start
and ${loadavg()[0]!.toFixed(1)} at the end). The tap is what the gateway runs beside every streamed response: it
forwards the bytes and reads usage, the model and tool calls. Each figure is CPU time per stream in this process, the
median of ${ROUNDS} rounds of 400 streams (the variants of a stream taking turns within each round), of streams with ${DELTAS} content deltas. *Whole events* feeds one event per chunk,
as upstreams write; a chunk of whole events that cannot change the record skips the SSE parser (and the rewrite tap cuts
\`"usage":null\` in one pass over the chunk). *Parser always* is the same feed with that skip turned off, as before
2026-12-03. *1 KiB pieces* cuts the bytes every 1,024 bytes, so most chunks end mid-event and go through the parser.

| stream | events | KiB | whole events, µs (per event) | parser always, µs | 1 KiB pieces, µs |
|---|---|---|---|---|---|
${table}

Gemini's events carry no name and each repeats the running usage, so its reader reads every one (one search of each
for the member names it looks for). They end in CRLF CRLF, as Google sends them. The rewrite tap's figures include a
fresh copy of every chunk (150-220 ns for one of these 290-byte chunks, measured alone), as a socket hands over new bytes: since 2026-12-05 it cuts
\`"usage":null\` by moving bytes within its chunk rather than copying the chunk, so it must not be fed the same buffer twice.`,
);
process.stderr.write('wrote docs/benchmarks.md\n');
