import { describe, expect, it } from 'vitest';
import { keylessNotice } from './key-notice.js';

describe('keylessNotice', () => {
  it('tells clients to send their own provider key only where auth.passthrough lets them', () => {
    expect(keylessNotice([], 'allow')).toBeUndefined();
    expect(keylessNotice(['openai'], 'allow')).toBe('Provider keys: none set for openai; clients there must send their own provider key, and a Tollgate key (tg_…) is refused until providers[].api_key is set.');
    const deny = keylessNotice(['openai', 'anthropic'], 'deny')!;
    expect(deny).not.toContain('must send their own provider key');
    expect(deny).toBe('Provider keys: none set for openai, anthropic; no request can reach them: a Tollgate key (tg_…) needs providers[].api_key, and auth.passthrough: deny refuses a client\'s own provider key.');
  });
});
