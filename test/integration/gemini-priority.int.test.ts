import { GoogleGenAI, ServiceTier } from '@google/genai';
import { afterEach, describe, expect, it } from 'vitest';
import { createPricer } from '../../src/pricing/index.js';
import { type Harness, startHarness } from '../support/harness.js';

/**
 * Gemini's priority tier, as the answer reports it served (the Gemini API's `usageMetadata.serviceTier`,
 * Vertex AI's `trafficType`, an interaction's `service_tier`): 1.8x on Gemini 3.7 and 3.8 Flash, as
 * the catalog notes; standard on a model no source gives a premium for.
 */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const answer = (model: string, tier: Record<string, string>) => ({
  candidates: [{ content: { parts: [{ text: 'Escalated.' }], role: 'model' }, finishReason: 'STOP', index: 0 }],
  usageMetadata: { promptTokenCount: 1000, candidatesTokenCount: 100, totalTokenCount: 1100, ...tier },
  modelVersion: model,
  responseId: 'prio1',
});

describe('Gemini priority traffic', () => {
  it('is billed 1.8x on Gemini 3.8 Flash whether the answer says serviceTier or trafficType, and at standard when it was served at standard', async () => {
    h = await startHarness({ price: createPricer() });
    const ai = new GoogleGenAI({ apiKey: h.key.key, httpOptions: { baseUrl: h.url } });
    const model = 'gemini-3.8-flash';
    const tiers: Record<string, string>[] = [{ serviceTier: 'standard' }, { serviceTier: 'priority' }, { trafficType: 'ON_DEMAND_PRIORITY' }];
    for (const tier of tiers) {
      h.fake.script({ body: answer(model, tier) });
      await ai.models.generateContent({ model, contents: 'Triage this ticket.', config: { serviceTier: ServiceTier.PRIORITY } });
    }
    expect(h.fake.requests[0]!.json).toMatchObject({ serviceTier: 'priority' });
    const [standard, priority, vertex] = await h.rows();
    expect(standard!.serviceTier ?? null).toBeNull();
    expect(standard!.unpriced).toBe(false);
    expect(priority).toMatchObject({ serviceTier: 'priority', inputTokens: 1000, outputTokens: 100 });
    expect(vertex).toMatchObject({ serviceTier: 'ON_DEMAND_PRIORITY' });
    expect(priority!.costPicos).toBe((standard!.costPicos! * 18n) / 10n);
    expect(vertex!.costPicos).toBe(priority!.costPicos);
  });

  it('is billed 1.8x in an interaction that reports service_tier priority, and at standard on a model without a published premium', async () => {
    h = await startHarness({ price: createPricer() });
    const ai = new GoogleGenAI({ apiKey: h.key.key, httpOptions: { baseUrl: h.url } });
    const interaction = (model: string, service_tier: string) => ({
      id: `ix_${model}_${service_tier}`,
      status: 'completed',
      model,
      service_tier,
      steps: [],
      usage: { total_input_tokens: 1000, total_output_tokens: 100, total_tokens: 1100 },
    });
    for (const [model, tier] of [['gemini-3.7-flash', 'standard'], ['gemini-3.7-flash', 'priority'], ['gemini-2.5-flash', 'standard'], ['gemini-2.5-flash', 'priority']] as const) {
      h.fake.script({ body: interaction(model, tier) });
      await ai.interactions.create({ model, input: 'Triage this ticket.', service_tier: tier });
    }
    const [standard, priority, otherStandard, otherPriority] = await h.rows();
    expect(priority).toMatchObject({ api: 'gemini.interactions', serviceTier: 'priority' });
    expect(priority!.costPicos).toBe((standard!.costPicos! * 18n) / 10n);
    // gemini-2.5-flash: no source gives its priority premium (docs/pricing.md): priced at standard, the tier recorded.
    expect(otherPriority).toMatchObject({ serviceTier: 'priority', unpriced: false });
    expect(otherPriority!.costPicos).toBe(otherStandard!.costPicos);
  });
});
