/** The least `thinking.budget_tokens` Anthropic accepts. */
export const MIN_THINKING_BUDGET = 1024;

/**
 * Keeps a Messages body valid once its `max_tokens` is lowered to `cap`: manual thinking's
 * `budget_tokens` must stay below `max_tokens` (protocols.md §3.2), else Anthropic refuses the
 * request with a 400 the client never caused. The budget is lowered with the cap; a cap that
 * leaves no room for the least budget turns thinking off. Adaptive thinking has no budget.
 */
export function fitThinking(body: Record<string, unknown>, cap: number): void {
  const thinking = body.thinking;
  if (typeof thinking !== 'object' || thinking === null || Array.isArray(thinking)) return;
  const t = thinking as Record<string, unknown>;
  if (t.type !== 'enabled' || typeof t.budget_tokens !== 'number' || t.budget_tokens < cap) return;
  body.thinking = cap > MIN_THINKING_BUDGET ? { ...t, budget_tokens: cap - 1 } : { type: 'disabled' };
}
