import type { Scenario, ToolCallSpec, UsageSpec } from './types.js';

const WORDS = ['This', 'is', 'a', 'scripted', 'reply', 'from', 'the', 'fake', 'upstream.'];
const CITIES = ['Paris', 'Lyon', 'Oslo', 'Rome'];
const DEFAULT_TOOL = 'get_weather';

export interface ToolCall {
  index: number;
  name: string;
  args: Record<string, unknown>;
  argsJson: string;
  /** The arguments split in two, as providers stream partial JSON. */
  argPieces: readonly string[];
}

/** What the model "says", shared by every dialect. */
export interface Content {
  text: string;
  textPieces: readonly string[];
  toolCalls: readonly ToolCall[];
  thinking: string | undefined;
  thinkingPieces: readonly string[];
}

/** Every count resolved to a number. */
export interface Usage {
  input: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  output: number;
  reasoning: number;
  audioInput: number;
  audioCacheRead: number;
  audioOutput: number;
  webSearches: number;
}

export const EMPTY_CONTENT: Content = { text: '', textPieces: [], toolCalls: [], thinking: undefined, thinkingPieces: [] };

export function planContent(s: Scenario, requestedTools: readonly string[]): Content {
  const toolCalls = planToolCalls(s.toolCalls, requestedTools);
  const textPieces = planText(s.text, s.chunks, toolCalls.length > 0);
  const thinking = s.thinking;
  return {
    text: textPieces.join(''),
    textPieces,
    toolCalls,
    thinking,
    thinkingPieces: thinking === undefined ? [] : splitEvenly(thinking, 2),
  };
}

function planText(text: string | undefined, chunks: number | undefined, hasTools: boolean): string[] {
  if (text !== undefined) return splitEvenly(text, chunks ?? 4);
  const n = chunks ?? (hasTools ? 0 : WORDS.length);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((i === 0 ? '' : ' ') + WORDS[i % WORDS.length]!);
  return out;
}

function planToolCalls(spec: Scenario['toolCalls'], requested: readonly string[]): ToolCall[] {
  const specs: readonly ToolCallSpec[] = typeof spec === 'number' ? Array.from({ length: spec }, () => ({})) : (spec ?? []);
  return specs.map((t, index) => {
    const name = t.name ?? requested[index % Math.max(1, requested.length)] ?? DEFAULT_TOOL;
    const args = t.arguments ?? { city: CITIES[index % CITIES.length] };
    const argsJson = JSON.stringify(args);
    return { index, name, args, argsJson, argPieces: splitEvenly(argsJson, 2) };
  });
}

/** Splits on code points so that no piece ends inside a surrogate pair. */
export function splitEvenly(text: string, pieces: number): string[] {
  const chars = Array.from(text);
  const n = Math.max(0, Math.min(Math.floor(pieces), chars.length));
  if (n === 0) return [];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(chars.slice(Math.floor((i * chars.length) / n), Math.floor(((i + 1) * chars.length) / n)).join(''));
  }
  return out;
}

/** A rough four-bytes-per-token estimate, so that unscripted usage still tracks the request. */
function estimate(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 4));
}

export function resolveUsage(spec: UsageSpec | undefined, requestBytes: number, c: Content): Usage {
  const reasoning = spec?.reasoning ?? (c.thinking === undefined ? 0 : estimate(Buffer.byteLength(c.thinking)));
  const visible = Buffer.byteLength(c.text) + c.toolCalls.reduce((n, t) => n + t.name.length + t.argsJson.length, 0);
  return {
    input: spec?.input ?? estimate(requestBytes),
    cacheRead: spec?.cacheRead ?? 0,
    cacheWrite5m: spec?.cacheWrite5m ?? 0,
    cacheWrite1h: spec?.cacheWrite1h ?? 0,
    output: spec?.output ?? estimate(visible) + reasoning,
    reasoning,
    audioInput: spec?.audioInput ?? 0,
    audioCacheRead: spec?.audioCacheRead ?? 0,
    audioOutput: spec?.audioOutput ?? 0,
    webSearches: spec?.webSearches ?? 0,
  };
}

export function cacheWrites(u: Usage): number {
  return u.cacheWrite5m + u.cacheWrite1h;
}

/** All prompt tokens: what OpenAI calls prompt/input tokens and Anthropic's count_tokens returns. */
export function promptTotal(u: Usage): number {
  return u.input + u.cacheRead + cacheWrites(u);
}
