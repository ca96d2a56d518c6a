import type { ImageSize } from './image-size.js';
import { type MediaDialect, type MediaItem, pagesOf, sizeOf } from './media.js';

/** A model's name without a provider's prefix (`anthropic/`, `models/`). */
const bare = (model: string) => model.toLowerCase().replace(/^.*\//, '');

/**
 * Input tokens for images and PDFs by each provider's rules (docs/budgets.md, "How a request is
 * estimated"). `max` is a bound on what the provider bills for the item; `typical` is near it.
 */
export type MediaMode = 'max' | 'typical';

/** Tokens allowed for the text of one PDF page on top of its picture (a dense page has 1,500–3,000). */
export const PAGE_TEXT_TOKENS = 5_000;
/** A PDF whose pages cannot be read (a URL or file reference): not a bound, which nothing read before forwarding can be. */
export const REFERENCED_PDF_TOKENS = 20_000;

// Anthropic: a standard-tier image is resized to at most ~1.15 megapixels and 1,568 px (about
// 1,600 tokens of w×h/750); the high tier (Opus 4.7 and later, Sonnet 5+, Haiku 5.5, Fable,
// Mythos) to 2,576 px and 4,784 tokens of ⌈w/28⌉×⌈h/28⌉. Each image block adds a few tokens more.
const CLAUDE = { standard: 1_600, high: 4_784, margin: 100 };

/** A Claude model's image tier by its version; undefined when the name does not say. */
export function claudeTier(model: string): 'standard' | 'high' | undefined {
  const m = bare(model);
  if (/fable|mythos/.test(m) || /claude-[5-9]/.test(m)) return 'high';
  if (/claude-(instant|[1-3])/.test(m)) return 'standard'; // claude-3-5-sonnet and older names
  const v = /(opus|sonnet|haiku)-(\d+)(?:-(\d)(?!\d))?/.exec(m);
  if (!v) return undefined;
  const [major, minor] = [Number(v[2]), Number(v[3] ?? 0)];
  return major < 4 || (major === 4 && minor <= 6) ? 'standard' : 'high';
}

// OpenAI high detail: fit in 2048×2048, shortest side to 768, then base + per 512-px tile (at most 8
// tiles); patch models: ⌈w/32⌉×⌈h/32⌉ patches (at most 1,536) times a multiplier.
type OpenAiRule = { tiles: [base: number, tile: number] } | { patches: number };
const OPENAI: [RegExp, OpenAiRule][] = [
  [/^gpt-4o-mini/, { tiles: [2_833, 5_667] }],
  [/^gpt-4\.1-mini|^gpt-5-mini/, { patches: 1.62 }],
  [/^gpt-4\.1-nano|^gpt-5-nano/, { patches: 2.46 }],
  [/^o4-mini/, { patches: 1.72 }],
  [/^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-4-turbo|gpt-4-vision)/, { tiles: [85, 170] }],
  [/^(o1|o3)(?!-mini)/, { tiles: [75, 150] }],
  [/^gpt-5(-chat|-codex|-pro)?(-\d{4}-\d\d-\d\d|-latest)?$/, { tiles: [70, 140] }],
  [/^computer-use/, { tiles: [65, 129] }],
];
/** A model none of the rules names is counted at the dearest known one (GPT-4o mini's tiles) when bounding. */
const OPENAI_DEAREST: OpenAiRule = { tiles: [2_833, 5_667] };
const OPENAI_TYPICAL: OpenAiRule = { tiles: [85, 170] };

// Gemini: 258 tokens an image up to 384 px a side, else 258 a tile of the image cut into tiles of
// 256–768 px (2.x); 3.x counts by media resolution, 1,120 at the default high, twice that at the
// most. A PDF page is an image of it. Without a size, a 3,072-px square is assumed (16 tiles).
const GEMINI = { tile: 258, resolutionMax: 2_240, typical: 1_120, unknownTiles: 16 };

/** The family whose rules bill `model`, by its name; else the dialect the block was written in. */
function family(model: string, dialect: MediaDialect): MediaDialect {
  const m = model.toLowerCase();
  if (m.includes('claude')) return 'anthropic';
  if (m.includes('gemini') || m.includes('gemma')) return 'gemini';
  if (/(^|\/)(gpt-|o\d|chatgpt|computer-use)/.test(m)) return 'openai';
  return dialect;
}

function claudeImage(model: string, size: ImageSize | undefined, mode: MediaMode): number {
  // A model whose name does not say (an alias) is counted at the high tier when bounding.
  const tier = claudeTier(model);
  const high = tier === 'high' || (tier === undefined && mode === 'max');
  const cap = high ? CLAUDE.high : CLAUDE.standard;
  if (!size) return mode === 'max' ? cap + CLAUDE.margin : cap;
  const patches = Math.ceil(size.w / 28) * Math.ceil(size.h / 28);
  if (mode === 'typical') return Math.min(cap, high ? patches : Math.ceil((size.w * size.h) / 750));
  return Math.min(cap, Math.max(patches, Math.ceil((size.w * size.h) / 750))) + CLAUDE.margin;
}

function openaiRule(model: string, mode: MediaMode): OpenAiRule {
  const m = bare(model);
  return OPENAI.find(([re]) => re.test(m))?.[1] ?? (mode === 'max' ? OPENAI_DEAREST : OPENAI_TYPICAL);
}

/** GPT-4o's tile count for an image at high detail (at most 8); 4 without a size (a 1024-px square). */
export function openaiTiles(size: ImageSize | undefined): number {
  if (!size) return 4;
  let { w, h } = size;
  const fit = Math.min(1, 2048 / Math.max(w, h));
  w *= fit;
  h *= fit;
  const short = Math.min(1, 768 / Math.min(w, h));
  return Math.min(8, Math.ceil((w * short) / 512) * Math.ceil((h * short) / 512));
}

function openaiImage(model: string, size: ImageSize | undefined, detail: string | undefined, mode: MediaMode): number {
  const rule = openaiRule(model, mode);
  if ('tiles' in rule) {
    const [base, tile] = rule.tiles;
    if (detail === 'low') return base;
    return base + tile * (size || mode === 'typical' ? openaiTiles(size) : 8);
  }
  const patches = size ? Math.min(1_536, Math.ceil(size.w / 32) * Math.ceil(size.h / 32)) : mode === 'max' ? 1_536 : 1_024;
  return Math.ceil(patches * rule.patches);
}

function geminiImage(model: string, size: ImageSize | undefined, mode: MediaMode): number {
  const tiles = size ? geminiTiles(size) : GEMINI.unknownTiles;
  if (mode === 'max') return Math.max(GEMINI.tile * tiles, GEMINI.resolutionMax);
  return /gemini-(1|2)\./.test(bare(model)) ? GEMINI.tile * tiles : GEMINI.typical;
}

/** Gemini 2.x's tiles: one up to 384 px a side; else tiles of a third of the short side less than it, 256–768 px. */
export function geminiTiles({ w, h }: ImageSize): number {
  if (w <= 384 && h <= 384) return 1;
  const unit = Math.min(768, Math.max(256, Math.floor(Math.min(w, h) / 1.5)));
  return Math.ceil(w / unit) * Math.ceil(h / unit);
}

function imageTokens(f: MediaDialect, model: string, size: ImageSize | undefined, detail: string | undefined, mode: MediaMode): number {
  if (f === 'anthropic') return claudeImage(model, size, mode);
  if (f === 'openai') return openaiImage(model, size, detail, mode);
  return geminiImage(model, size, mode);
}

/**
 * The input tokens one image or PDF costs `model`. A PDF in the body whose pages cannot be
 * counted is counted as its characters when bounding (a token per byte, as text is), or a
 * quarter of them when typical.
 */
export function mediaTokens(m: MediaItem, model: string, mode: MediaMode): number {
  const f = family(model, m.dialect);
  if (m.kind === 'image') return imageTokens(f, model, m.data !== undefined ? sizeOf(m) : undefined, m.detail, mode);
  if (m.data === undefined) return REFERENCED_PDF_TOKENS;
  const pages = pagesOf(m);
  const perPage = imageTokens(f, model, undefined, undefined, mode) + (mode === 'max' ? PAGE_TEXT_TOKENS : 1_500);
  if (mode === 'typical') return pages !== undefined ? pages * perPage : Math.ceil(m.chars / 4);
  // Either count bounds it as well as the body's bytes did before: the smaller is kept.
  return pages !== undefined ? Math.min(m.chars, pages * perPage) : m.chars;
}
