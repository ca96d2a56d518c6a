import type { Picos } from '../core/money.js';
import type { ImageGenerationTokens, SeparateRound, Usage } from '../core/usage.js';
import type { Rates, TieredRate } from './rates.js';

function rateAt(r: TieredRate, totalInput: number): Picos {
  let rate = r.base;
  for (const t of r.tiers) if (totalInput > t.above) rate = t.rate;
  return rate;
}

/**
 * The exact cost of one request's usage, in picos. The tier is chosen once, on total
 * input (cache reads and writes included), and reprices the whole request. Cache
 * prices a model lacks fall back to their parent: 1h writes to writes, writes and
 * reads to plain input (OpenAI before GPT-5.6 bills writes as input). Audio tokens the
 * usage reports are priced at the model's audio rates, where it has them, and image input tokens
 * at its image input rate.
 */
export function costOf(u: Usage, r: Rates): Picos {
  const total = u.inputTokens;
  const input = rateAt(r.input, total);
  const read = r.cacheRead ? rateAt(r.cacheRead, total) : input;
  const write = r.cacheWrite ? rateAt(r.cacheWrite, total) : input;
  const write1h = r.cacheWrite1h ? rateAt(r.cacheWrite1h, total) : write;
  const output = rateAt(r.output, total);
  const writes1h = Math.min(u.cacheWrite1hTokens, u.cacheWriteTokens);
  const writes5m = u.cacheWriteTokens - writes1h;
  const uncached = Math.max(0, u.inputTokens - u.cacheReadTokens - u.cacheWriteTokens);
  const a = audioParts(u, uncached);
  // Image input is part of the uncached input (the Images API reports no cache), after any audio.
  const image = Math.min(u.imageInput ?? 0, uncached - a.uncached);
  const inputAudio = r.inputAudio ? rateAt(r.inputAudio, total) : input;
  // Cached audio without a price of its own: a cache read where the model has a cache price, else (no discount) audio input.
  const readAudio = r.cacheReadAudio ? rateAt(r.cacheReadAudio, total) : r.cacheRead ? read : inputAudio;
  return (
    BigInt(uncached - a.uncached - image) * input +
    BigInt(a.uncached) * inputAudio +
    BigInt(image) * (r.inputImage ? rateAt(r.inputImage, total) : input) +
    BigInt(u.cacheReadTokens - a.cacheRead) * read +
    BigInt(a.cacheRead) * readAudio +
    BigInt(writes5m) * write +
    BigInt(writes1h) * write1h +
    BigInt(u.outputTokens - a.output) * output +
    BigInt(a.output) * (r.outputAudio ? rateAt(r.outputAudio, total) : output) +
    (r.perRequest ?? 0n)
  );
}

/** The audio tokens of each class, each within its class's count (a report that says more is capped). */
function audioParts(u: Usage, uncached: number): { uncached: number; cacheRead: number; output: number } {
  if (!u.audio) return { uncached: 0, cacheRead: 0, output: 0 };
  const input = Math.min(u.audio.input, u.inputTokens);
  const cacheRead = Math.min(u.audio.cacheRead, u.cacheReadTokens, input);
  return { uncached: Math.min(input - cacheRead, uncached), cacheRead, output: Math.min(u.audio.output, u.outputTokens) };
}

/**
 * What a request costs beyond its tokens: server-side web searches, at the model's price per
 * search (none where it has no such price). Apart from costOf because service tiers discount
 * tokens, not searches.
 */
export function feesOf(u: Usage, r: Pick<Rates, 'perWebSearch'>): Picos {
  return BigInt(u.webSearches ?? 0) * (r.perWebSearch ?? 0n);
}

/**
 * What a tool's image generation costs at the image model's rates (`r`): text and image input,
 * cached input, and the image tokens made. The report does not say whether the cached tokens
 * were text or image: they are taken from the text first, the reading that costs more at
 * OpenAI's image prices (whose cache takes more off an image token than off a text token).
 */
export function imageGenerationCost(g: ImageGenerationTokens, r: Rates): Picos {
  const cachedText = Math.min(g.cachedInput, g.textInput);
  const cachedImage = Math.min(g.cachedInput - cachedText, g.imageInput);
  const input = r.input.base;
  const read = r.cacheRead?.base ?? input;
  const inputImage = r.inputImage?.base ?? input;
  const readImage = r.cacheReadImage?.base ?? (r.cacheRead ? read : inputImage);
  return (
    BigInt(g.textInput - cachedText) * input +
    BigInt(cachedText) * read +
    BigInt(g.imageInput - cachedImage) * inputImage +
    BigInt(cachedImage) * readImage +
    BigInt(g.output) * r.output.base
  );
}

/** The usage less rounds inside its counts, to be priced apart (none below zero). */
export function withoutRounds(u: Usage, rounds: readonly SeparateRound[]): Usage {
  const out = { ...u };
  for (const { usage: r } of rounds) {
    out.inputTokens = Math.max(0, out.inputTokens - r.inputTokens);
    out.cacheReadTokens = Math.max(0, out.cacheReadTokens - r.cacheReadTokens);
    out.cacheWriteTokens = Math.max(0, out.cacheWriteTokens - r.cacheWriteTokens);
    out.cacheWrite1hTokens = Math.max(0, out.cacheWrite1hTokens - r.cacheWrite1hTokens);
    out.outputTokens = Math.max(0, out.outputTokens - r.outputTokens);
  }
  return out;
}
