import { describe, expect, it } from 'vitest';
import { ledgerCatalogs } from './rates.js';

describe('ledgerCatalogs', () => {
  it("maps the provider names of OpenTelemetry spans to catalog ids; a configured provider's own wins", () => {
    const c = ledgerCatalogs([{ name: 'openai', catalog: undefined }, { name: 'corp-gemini', catalog: 'google' }]);
    expect(c['gcp.gemini']).toBe('google');
    expect(c['aws.bedrock']).toBe('aws');
    expect(c['corp-gemini']).toBe('google');
    expect(c.openai).toBeUndefined();
  });
});
