/**
 * Price multipliers the response reports, by catalog provider. The catalog quotes
 * standard-tier prices only. Modelled: OpenAI `flex` (0.5x) and `priority` (2x, which
 * is also what `fast` is reported as), Anthropic `batch` (0.5x). Not modelled yet:
 * Anthropic fast mode and `inference_geo` (the tap does not carry them), OpenAI
 * `ultrafast`, Gemini priority traffic.
 */
const MULTIPLIERS: Record<string, Record<string, string>> = {
  openai: { flex: '0.5', priority: '2', batch: '0.5' },
  anthropic: { batch: '0.5' },
};

export function tierMultiplier(provider: string | undefined, serviceTier: string | undefined): string | undefined {
  if (!provider || !serviceTier) return undefined;
  return MULTIPLIERS[provider]?.[serviceTier.toLowerCase()];
}
