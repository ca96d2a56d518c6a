import { describe, expect, it } from 'vitest';
import { closest } from './closest.js';

describe('closest', () => {
  it('names the candidate a typo most likely meant, and nothing when none is near', () => {
    expect(closest('tema', ['user', 'team', 'project'])).toBe('team');
    expect(closest('OPNAI', ['anthropic', 'openai', 'google'])).toBe('openai');
    expect(closest('nonsense', ['anthropic', 'openai', 'google'])).toBeUndefined();
    expect(closest('x', [])).toBeUndefined();
  });
});
