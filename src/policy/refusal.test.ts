import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import { BEYOND_ANY_LIMIT } from './estimate.js';
import { budgetExceeded } from './refusal.js';
import { budgetInput, parseRule, toBudget } from './rule-input.js';

const budget = (limit: string) => toBudget(parseRule(budgetInput, { scope: 'user:erin', window: 'day', limit_usd: limit }), 'budget', 'api', 0);
const shown = { showAmounts: true, timeZone: 'UTC' };

describe('budget refusals', () => {
  it('write amounts as people read them: cents with separators, and sub-cent amounts on one scale, not as $0', () => {
    const big = budgetExceeded(budget('4000'), usd('3999.5'), usd('4000'), usd('0.75'), Date.UTC(2026, 11, 4), shown);
    expect(big.message).toContain('($3,999.50 of $4,000.00 is spent or held by requests in flight, and this request could cost up to $0.75)');
    const tiny = budgetExceeded(budget('0.0001'), 0n, usd('0.0001'), usd('0.00492525'), Date.UTC(2026, 11, 4), shown);
    // Said together, on one scale: the limit and the request's cost to two significant digits.
    expect(tiny.message).toContain('($0.00000 of $0.00010 is spent or held by requests in flight, and this request could cost up to $0.00493)');
  });

  it('says a rolling window drains as its spend ages, by when, rather than that it resets', () => {
    const rolling = toBudget(parseRule(budgetInput, { scope: 'team:rep', window: '30m', limit_usd: '0.08' }), 'budget', 'api', 0);
    const e = budgetExceeded(rolling, usd('0.08'), usd('0.08'), usd('0.001'), Date.UTC(2026, 11, 6, 8, 30, 30), shown);
    expect(e.message).toContain('Its spend leaves this rolling window as it ages, all that it counts now by 2026-12-06T08:30:30Z. To go on, lower the maximum output tokens, wait, or ask for an increase');
    expect(e.message).not.toContain('resets');
    expect(budgetExceeded(budget('10'), usd('9'), usd('10'), usd('2'), Date.UTC(2026, 11, 4), shown).message).toContain('It resets at 2026-12-04T00:00:00Z. To go on, lower the maximum output tokens, wait for the reset, or');
  });

  it('says an estimate too large to count (a huge max_tokens) is more than the whole limit, with no amount for it', () => {
    const e = budgetExceeded(budget('400'), usd('400'), usd('400'), BEYOND_ANY_LIMIT, Date.UTC(2026, 11, 4), shown);
    expect(e.message).toContain('This request could cost more than the daily budget for user:erin allows in total ($400.00 of $400.00 is spent or held by requests in flight, and this request could cost more than can be counted (its maximum output tokens are too large))');
    expect(e.message).not.toMatch(/\$0\.0|up to/);
    expect(e.details).not.toHaveProperty('request_estimate_usd');
    expect(e.details).toMatchObject({ limit_usd: '400', used_usd: '400' });
  });

  it('shows only a percentage when amounts are not disclosed', () => {
    const e = budgetExceeded(budget('10'), usd('9'), usd('10'), usd('2'), Date.UTC(2026, 11, 4), { showAmounts: false, timeZone: 'UTC' });
    expect(e.message).toContain('(90% of it is used)');
    expect(e.message).not.toContain('$');
  });

  it('says the input is what is large, and its images or documents when they make most of it, rather than to lower the output cap', () => {
    const media = budgetExceeded(budget('10'), 0n, usd('10'), usd('24'), Date.UTC(2026, 11, 4), shown, 'request', { inputTokens: 2_000_000, mediaTokens: 1_990_000, media: 3, inputCost: usd('23.9') });
    expect(media.message).toContain('Its input is what is large: about 2,000,000 tokens, most of them (1,990,000) for its 3 images and documents.');
    expect(media.message).toContain('To go on, send fewer or smaller images or documents, wait for the reset, or');
    expect(media.message).not.toContain('maximum output tokens');
    expect(media.details).toMatchObject({ request_input_tokens: 2_000_000, request_media_tokens: 1_990_000 });
    const one = budgetExceeded(budget('10'), 0n, usd('10'), usd('24'), Date.UTC(2026, 11, 4), shown, 'request', { inputTokens: 1_000, mediaTokens: 900, media: 1, inputCost: usd('20') });
    expect(one.message).toContain('most of them (900) for its image or document.');
    const text = budgetExceeded(budget('10'), 0n, usd('10'), usd('24'), Date.UTC(2026, 11, 4), shown, 'request', { inputTokens: 900_000, mediaTokens: 1_700, media: 1, inputCost: usd('20') });
    expect(text.message).toContain('Its input is what is large: about 900,000 tokens counted from the request body.');
    expect(text.message).toContain('To go on, shorten the input (fewer or shorter messages, files or tool results), wait for the reset');
  });

  it('says when the stored conversation a request continues is what is large, as it is billed as input but not in the body', () => {
    const e = budgetExceeded(budget('1'), usd('0.9'), usd('1'), usd('0.33'), Date.UTC(2026, 11, 4), shown, 'request', { inputTokens: 128_040, referencedTokens: 128_000, inputCost: usd('0.32') });
    expect(e.message).toContain('Its input is what is large: about 128,040 tokens, most of them (128,000) allowed for the stored response or conversation it continues (`previous_response_id`, `conversation`), which is billed as input and whose size is not known (`policy.responses_context_tokens`).');
    expect(e.message).toContain('To go on, start a new conversation, wait for the reset, or');
    expect(e.details).toMatchObject({ request_input_tokens: 128_040, request_referenced_tokens: 128_000, request_referenced_from: 'setting' });
    expect(e.details).not.toHaveProperty('request_previous_response_id');
  });

  it('says the stored response a request continues was counted at its own tokens, from the ledger', () => {
    const e = budgetExceeded(budget('1'), usd('0.9'), usd('1'), usd('0.33'), Date.UTC(2026, 11, 4), shown, 'request', { inputTokens: 41_040, referencedTokens: 41_000, referencedFrom: 'resp_abc', inputCost: usd('0.32') });
    expect(e.message).toContain("Its input is what is large: about 41,040 tokens, most of them (41,000) for the stored response it continues (`previous_response_id` resp_abc: that response's own input and output tokens, as the ledger has them), which is billed as input.");
    expect(e.details).toMatchObject({ request_referenced_tokens: 41_000, request_referenced_from: 'ledger', request_previous_response_id: 'resp_abc' });
  });

  it('says the stored Gemini interaction a request continues was counted at its own tokens, or at the setting', () => {
    const known = budgetExceeded(budget('1'), usd('0.9'), usd('1'), usd('0.33'), Date.UTC(2026, 11, 4), shown, 'request', { inputTokens: 41_040, referencedTokens: 41_000, referencedFrom: 'v1_abc', referencedBy: 'previous_interaction_id', inputCost: usd('0.32') });
    expect(known.message).toContain("most of them (41,000) for the stored interaction it continues (`previous_interaction_id` v1_abc: that interaction's own input and output tokens, as the ledger has them), which is billed as input.");
    const unknown = budgetExceeded(budget('1'), usd('0.9'), usd('1'), usd('0.33'), Date.UTC(2026, 11, 4), shown, 'request', { inputTokens: 128_040, referencedTokens: 128_000, referencedBy: 'previous_interaction_id', inputCost: usd('0.32') });
    expect(unknown.message).toContain('most of them (128,000) allowed for the stored interaction it continues (`previous_interaction_id`), which is billed as input and whose size is not known (`policy.responses_context_tokens`).');
  });

  it('prints an increase command that reaches the gateway: its URL and the developer’s key, not a local ledger', () => {
    const e = budgetExceeded(budget('10'), usd('9'), usd('10'), usd('2'), Date.UTC(2026, 11, 4), shown);
    const command = 'tollgate budgets request --url <gateway URL> --key <your tg_ key> --scope user:erin --amount <USD> --hours <N> --reason "..."';
    expect(e.details).toMatchObject({ remedy: command });
    expect(e.message).toContain(`or ask for an increase with \`${command}\` (or POST /admin/v1/me/increases with your key).`);
    // A gateway that knows the address its users reach it at (alerts.public_url) says it.
    const known = budgetExceeded(budget('10'), usd('9'), usd('10'), usd('2'), Date.UTC(2026, 11, 4), { ...shown, publicUrl: 'https://tollgate.example.com' });
    expect(known.details?.remedy).toBe('tollgate budgets request --url https://tollgate.example.com --key <your tg_ key> --scope user:erin --amount <USD> --hours <N> --reason "..."');
    expect(known.message).toContain('`tollgate budgets request --url https://tollgate.example.com --key <your tg_ key> --scope user:erin');
  });

  it('sends a developer to an admin for a budget on a scope their key cannot ask for more on (a tag, model, provider or the org)', () => {
    for (const scope of ['tag:workflow=nightly', 'model:gpt-5*', 'provider:openai', 'org']) {
      const b = toBudget(parseRule(budgetInput, { scope, window: 'day', limit_usd: '10' }), 'budget', 'api', 0);
      const e = budgetExceeded(b, usd('9'), usd('10'), usd('2'), Date.UTC(2026, 11, 4), { ...shown, publicUrl: 'https://tollgate.example.com' });
      const command = `tollgate budgets request --scope ${scope} --amount <USD> --hours <N> --reason "..."`;
      expect(e.details).toMatchObject({ remedy: command });
      expect(e.message).toContain(`or ask an admin for an increase on ${scope}, which a developer's key cannot ask for (\`${command}\`).`);
      expect(e.message).not.toContain('--key');
    }
  });

  it('still says to lower the output cap when the output is most of the estimate', () => {
    const e = budgetExceeded(budget('10'), usd('9'), usd('10'), usd('2'), Date.UTC(2026, 11, 4), shown, 'request', { inputTokens: 1_000, inputCost: usd('0.01') });
    expect(e.message).toContain('To go on, lower the maximum output tokens, wait for the reset');
    expect(e.message).not.toContain('Its input');
  });

  it('says how many choices the request asks for when they make it large, and that the input is when it is', () => {
    const e = budgetExceeded(budget('0.01'), 0n, usd('0.01'), usd('0.0081'), Date.UTC(2026, 11, 4), shown, 'request', { inputTokens: 40, outputTokens: 800, choices: 8, inputCost: usd('0.0001') });
    expect(e.message).toContain('It asks for 8 choices (`n`, `best_of` or `candidateCount`), each billed and each up to 100 output tokens: 800 in all. It resets');
    expect(e.message).toContain('To go on, ask for fewer choices or lower the maximum output tokens, wait for the reset');
    expect(e.details).toMatchObject({ request_choices: 8, request_input_tokens: 40 });
    const input = budgetExceeded(budget('10'), 0n, usd('10'), usd('24'), Date.UTC(2026, 11, 4), shown, 'request', { inputTokens: 900_000, outputTokens: 200, choices: 2, inputCost: usd('23.9') });
    expect(input.message).toContain('Its input is what is large');
    expect(input.message).not.toContain('choices (');
    // A count too large to price: no amount, and the choices named.
    const beyond = budgetExceeded(budget('10'), 0n, usd('10'), BEYOND_ANY_LIMIT, Date.UTC(2026, 11, 4), shown, 'request', { inputTokens: 40, outputTokens: 100 * Number.MAX_SAFE_INTEGER, choices: Number.MAX_SAFE_INTEGER, inputCost: usd('0.0001') });
    expect(beyond.message).toContain('could cost more than can be counted (its maximum output tokens times its choices are too large)');
    expect(beyond.message).toContain('It asks for 9,007,199,254,740,991 choices (`n`, `best_of` or `candidateCount`), each billed and each up to 100 output tokens. It resets');
    const one = budgetExceeded(budget('10'), 0n, usd('10'), usd('12'), Date.UTC(2026, 11, 4), shown, 'request', { inputTokens: 40, outputTokens: 100, inputCost: usd('0.0001') });
    expect(one.message).not.toContain('choices');
    expect(one.details).not.toHaveProperty('request_choices');
  });
});
