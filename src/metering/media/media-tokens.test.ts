import { describe, expect, it } from 'vitest';
import { estimateInputTokens } from '../estimate.js';
import { findMedia } from './media.js';
import { REFERENCED_PDF_TOKENS, claudeTier, mediaTokens } from './media-tokens.js';
import { jpegB64, pdfB64, pngB64 } from './fixtures.js';

// What each provider bills for one image, by its published rules, written out independently of the code under test.
const fit = (w: number, h: number, long: number) => Math.min(1, long / Math.max(w, h));
function claudeStandardBill(w: number, h: number): number {
  let s = fit(w, h, 1568);
  s = Math.min(s, Math.sqrt(1_150_000 / (w * h)));
  const [rw, rh] = [Math.floor(w * s), Math.floor(h * s)];
  return Math.ceil((rw * rh) / 750);
}
function claudeHighBill(w: number, h: number): number {
  let [rw, rh] = [w * fit(w, h, 2576), h * fit(w, h, 2576)];
  while (Math.ceil(rw / 28) * Math.ceil(rh / 28) > 4784) [rw, rh] = [rw * 0.99, rh * 0.99];
  return Math.ceil(rw / 28) * Math.ceil(rh / 28);
}
function openaiTileBill(w: number, h: number, base: number, tile: number): number {
  const a = fit(w, h, 2048);
  [w, h] = [w * a, h * a];
  const b = Math.min(1, 768 / Math.min(w, h));
  return base + tile * Math.ceil((w * b) / 512) * Math.ceil((h * b) / 512);
}
const SIZES: [number, number][] = [[1, 1], [200, 200], [1092, 1092], [1568, 784], [1920, 1080], [2048, 768], [768, 2048], [3000, 2000], [4032, 3024], [8000, 8000], [8000, 100]];
const anthropicImage = (w: number, h: number) => findMedia({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: pngB64(w, h) } }] }] })[0]!;
const openaiImage = (w: number, h: number, detail?: string) => findMedia({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/jpeg;base64,${jpegB64(w, h)}`, detail } }] }] })[0]!;
const geminiImage = (w: number, h: number) => findMedia({ contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'image/png', data: pngB64(w, h) } }] }] })[0]!;

describe('image tokens by provider', () => {
  it('bounds what Anthropic bills for any image, the largest included, on either tier', () => {
    for (const [w, h] of SIZES) {
      expect(mediaTokens(anthropicImage(w, h), 'claude-sonnet-4-5', 'max')).toBeGreaterThanOrEqual(claudeStandardBill(w, h));
      expect(mediaTokens(anthropicImage(w, h), 'claude-opus-4-7', 'max')).toBeGreaterThanOrEqual(claudeHighBill(w, h));
    }
    // Unreadable or referenced: the tier's most. Sonnet 4.5 is at most ~1,600 tokens whatever the size.
    expect(mediaTokens(anthropicImage(8000, 8000), 'claude-sonnet-4-5', 'max')).toBe(1700);
    const byUrl = findMedia({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://x/y.png' } }] }] })[0]!;
    expect(mediaTokens(byUrl, 'claude-sonnet-4-5', 'max')).toBe(1700);
    expect(mediaTokens(byUrl, 'claude-sonnet-5-5', 'max')).toBe(4884);
    expect(mediaTokens(anthropicImage(1000, 1000), 'claude-sonnet-4-5', 'typical')).toBe(1334);
  });

  it('tells the two Claude image tiers apart by version', () => {
    for (const m of ['claude-sonnet-4-5', 'claude-sonnet-4-5-20250929', 'claude-haiku-4-5', 'claude-opus-4-6', 'claude-3-5-sonnet-20241022', 'claude-sonnet-4-20250514']) expect(claudeTier(m)).toBe('standard');
    for (const m of ['claude-opus-4-7', 'claude-opus-4-8', 'claude-sonnet-5-5', 'claude-haiku-5-5', 'claude-fable-5-2', 'claude-mythos-5']) expect(claudeTier(m)).toBe('high');
    expect(claudeTier('my-alias')).toBeUndefined();
  });

  it('bounds what OpenAI bills at high detail for each model family', () => {
    for (const [w, h] of SIZES) {
      expect(mediaTokens(openaiImage(w, h), 'gpt-4o', 'max')).toBeGreaterThanOrEqual(openaiTileBill(w, h, 85, 170));
      expect(mediaTokens(openaiImage(w, h), 'gpt-4o-mini', 'max')).toBeGreaterThanOrEqual(openaiTileBill(w, h, 2833, 5667));
      expect(mediaTokens(openaiImage(w, h), 'gpt-5-mini', 'max')).toBeGreaterThanOrEqual(Math.min(1536, Math.ceil(w / 32) * Math.ceil(h / 32)) * 1.62);
      // A model no rule names: the dearest known rule.
      expect(mediaTokens(openaiImage(w, h), 'gpt-9-preview', 'max')).toBeGreaterThanOrEqual(openaiTileBill(w, h, 2833, 5667));
    }
    expect(mediaTokens(openaiImage(4000, 3000), 'gpt-4o', 'max')).toBe(85 + 170 * 4); // 2048×1536, then 1024×768: 2×2 tiles
    expect(mediaTokens(openaiImage(768, 2048), 'gpt-4o', 'max')).toBe(85 + 170 * 8);
    expect(mediaTokens(openaiImage(4000, 3000, 'low'), 'gpt-4o', 'max')).toBe(85);
    const byUrl = findMedia({ input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }] })[0]!;
    expect(mediaTokens(byUrl, 'gpt-4o', 'max')).toBe(85 + 170 * 8);
  });

  it('bounds what Gemini bills: a tile’s 258 tokens, or the most a media resolution counts', () => {
    expect(mediaTokens(geminiImage(300, 300), 'gemini-2.5-flash', 'typical')).toBe(258);
    expect(mediaTokens(geminiImage(1536, 1536), 'gemini-2.5-flash', 'typical')).toBe(258 * 4);
    for (const [w, h] of SIZES) expect(mediaTokens(geminiImage(w, h), 'gemini-3-pro', 'max')).toBeGreaterThanOrEqual(2240);
    expect(mediaTokens(geminiImage(1920, 1080), 'gemini-3-pro', 'typical')).toBe(1120);
  });

  it('counts an image sent across dialects by the rules of the model that bills it', () => {
    // An OpenAI-dialect image to a Claude model (a translated route) is counted as Claude counts it.
    expect(mediaTokens(openaiImage(1000, 1000), 'claude-sonnet-4-5', 'typical')).toBe(1334);
  });
});

describe('PDF tokens', () => {
  const doc = (data: string) => findMedia({ messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data } }] }] })[0]!;

  it('counts a PDF’s pages at a page’s bound, never more than its characters', () => {
    const three = doc(pdfB64(3, `% ${'z'.repeat(200_000)}\n`));
    expect(mediaTokens(three, 'claude-sonnet-4-5', 'max')).toBe(3 * (1700 + 5000));
    const tiny = doc(pdfB64(2));
    expect(mediaTokens(tiny, 'claude-sonnet-4-5', 'max')).toBe(tiny.chars);
    expect(mediaTokens(doc(pdfB64(2, '9 0 obj << /Type /ObjStm >> endobj\n')), 'claude-sonnet-4-5', 'max')).toBe(doc(pdfB64(2, '9 0 obj << /Type /ObjStm >> endobj\n')).chars);
    const byId = findMedia({ messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'file', file_id: 'file_1' } }] }] })[0]!;
    expect(mediaTokens(byId, 'claude-sonnet-4-5', 'max')).toBe(REFERENCED_PDF_TOKENS);
  });
});

describe('typical counting', () => {
  it('counts an image by its provider’s rules, not a quarter of its base64', () => {
    const data = pngB64(1000, 1000, 1_500_000);
    const body = { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data } }, { type: 'text', text: 'x'.repeat(400) }] }] };
    const tokens = estimateInputTokens(body, Infinity, 'claude-sonnet-4-5');
    expect(tokens).toBeGreaterThan(1334 + 100);
    expect(tokens).toBeLessThan(1334 + 200);
    expect(estimateInputTokens(body)).toBeLessThan(2000);
  });
});
