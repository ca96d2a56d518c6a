import { describe, expect, it } from 'vitest';
import { fitToModel } from './model-change.js';

const fit = (body: Record<string, unknown>, model: string) => {
  const out = { ...body };
  fitToModel(out, model);
  return out;
};
const messages = [{ role: 'user', content: 'hi' }];

describe('fitToModel: a Messages body moved to another Claude model', () => {
  it('sends adaptive thinking to a model without it as a manual budget of the cap, keeping its display', () => {
    const body = { model: 'claude-opus-4-8', max_tokens: 8_000, thinking: { type: 'adaptive', display: 'summarized' }, messages };
    for (const model of ['claude-haiku-4-5', 'claude-haiku-4-5-20251001', 'claude-sonnet-4-5', 'claude-opus-4-5', 'claude-opus-4-1', 'claude-sonnet-4-20250514', 'claude-3-7-sonnet-20250219']) {
      expect(fit(body, model).thinking).toEqual({ type: 'enabled', budget_tokens: 7_999, display: 'summarized' });
    }
    // A cap with no room for the least budget (1,024) turns thinking off; a model with no thinking gets none.
    expect(fit({ ...body, max_tokens: 1_024 }, 'claude-haiku-4-5').thinking).toEqual({ type: 'disabled' });
    expect(fit(body, 'claude-3-5-haiku-20241022')).not.toHaveProperty('thinking');
  });

  it('sends a manual budget to Claude 4.7 and later as adaptive thinking', () => {
    const body = { model: 'claude-sonnet-4-5', max_tokens: 8_000, thinking: { type: 'enabled', budget_tokens: 4_000 }, messages };
    for (const model of ['claude-opus-4-7', 'claude-opus-4-8', 'claude-sonnet-5', 'claude-fable-5-1', 'claude-haiku-5-5', 'claude-mythos-preview']) {
      expect(fit(body, model).thinking).toEqual({ type: 'adaptive' });
    }
    // Opus 4.6 and Sonnet 4.6 still take it.
    expect(fit(body, 'claude-sonnet-4-6').thinking).toEqual(body.thinking);
  });

  it('drops an effort a model does not take, and the output_config it leaves empty', () => {
    const body = { model: 'claude-opus-4-8', max_tokens: 50, output_config: { effort: 'low' }, messages };
    expect(fit(body, 'claude-haiku-4-5')).toEqual({ model: 'claude-opus-4-8', max_tokens: 50, messages });
    const format = { type: 'json_schema', schema: { type: 'object' } };
    expect(fit({ ...body, output_config: { effort: 'low', format } }, 'claude-sonnet-4-5').output_config).toEqual({ format });
    expect(fit(body, 'claude-opus-4-5').output_config).toEqual({ effort: 'low' });
  });

  it('lowers xhigh and max to high where the model does not take them', () => {
    const at = (effort: string, model: string) => fit({ max_tokens: 50, output_config: { effort } }, model).output_config;
    expect(at('xhigh', 'claude-sonnet-4-6')).toEqual({ effort: 'high' });
    expect(at('max', 'claude-sonnet-4-6')).toEqual({ effort: 'max' });
    expect(at('max', 'claude-opus-4-5')).toEqual({ effort: 'high' });
    expect(at('xhigh', 'claude-opus-4-7')).toEqual({ effort: 'xhigh' });
    expect(at('xhigh', 'claude-sonnet-5')).toEqual({ effort: 'xhigh' });
  });

  it('leaves what no source lists as sent: an unknown model, a level on a model whose levels are not listed', () => {
    const body = { max_tokens: 8_000, thinking: { type: 'adaptive' }, output_config: { effort: 'xhigh' }, messages };
    expect(fit(body, 'my-claude-proxy-model')).toEqual(body);
    expect(fit(body, 'claude-haiku-5-5')).toEqual(body);
    expect(fit({ ...body, thinking: { type: 'disabled' } }, 'claude-haiku-4-5').thinking).toEqual({ type: 'disabled' });
  });
});
