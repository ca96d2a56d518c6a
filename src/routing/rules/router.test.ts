import { describe, expect, it } from 'vitest';
import type { RoutingRule } from './rule.js';
import { type RouteRequest, RuleRouter } from './router.js';

function request(o: Partial<RouteRequest> = {}): RouteRequest {
  return {
    api: 'anthropic.messages',
    model: 'claude-sonnet-4-5',
    keyId: 'key_1',
    user: 'alice',
    team: 'platform',
    project: 'web',
    tags: { workflow: 'review' },
    headers: { 'x-task': 'summarise-pr' },
    json: { model: 'claude-sonnet-4-5', max_tokens: 512, messages: [{ role: 'user', content: 'hello there' }] },
    maxOutputTokens: 512,
    ...o,
  };
}

const rule = (id: string, match: RoutingRule['match'], mode: RoutingRule['mode'] = 'enforce', model = 'claude-haiku-4-5'): RoutingRule => ({ id, mode, match, action: { model } });
const all = () => true;
const decide = (rules: RoutingRule[], r: RouteRequest = request()) => new RuleRouter(rules).decide(r, all)?.rule;

describe('routing rules', () => {
  it('may apply to an API its rules name, or to any when a rule names none', () => {
    const limited = new RuleRouter([rule('a', { api: ['anthropic.messages'] }), rule('b', { api: ['openai.chat'], model: ['gpt-*'] })]);
    expect(limited.mayApply('openai.chat')).toBe(true);
    expect(limited.mayApply('openai.responses')).toBe(false);
    expect(new RuleRouter([rule('a', { api: ['anthropic.messages'] }), rule('c', { model: ['claude-*'] }, 'shadow')]).mayApply('openai.responses')).toBe(true);
  });

  it('routes a small request without tools (the documented example)', () => {
    const small = rule('small-to-haiku', { model: ['claude-sonnet-*', 'claude-opus-*'], inputTokens: { lt: 2000 }, tools: false });
    expect(decide([small])).toBe('small-to-haiku');
    expect(decide([small], request({ json: { messages: [{ role: 'user', content: 'x'.repeat(8000) }] } }))).toBeUndefined();
    expect(decide([small], request({ json: { messages: [], tools: [{ name: 'Bash' }] } }))).toBeUndefined();
    expect(decide([small], request({ model: 'gpt-5' }))).toBeUndefined();
  });

  it('matches on key, user, team, project, tags and headers by glob, and never on a missing value', () => {
    const cases: [RoutingRule['match'], boolean][] = [
      [{ key: ['key_*'] }, true],
      [{ user: ['bob'] }, false],
      [{ team: ['plat*'], project: ['web'] }, true],
      [{ tags: { workflow: 'rev*' } }, true],
      [{ tags: { prompt_version: '*' } }, false],
      [{ headers: { 'x-task': 'summarise-*' } }, true],
      [{ headers: { 'x-other': '*' } }, false],
      [{ api: ['openai.chat'] }, false],
    ];
    for (const [match, hit] of cases) expect(decide([rule('r', match)]) === 'r', JSON.stringify(match)).toBe(hit);
    expect(decide([rule('r', { user: ['*'] })], request({ user: null }))).toBeUndefined();
  });

  it('matches max_tokens, reasoning effort, images and the system prompt hash', () => {
    expect(decide([rule('r', { maxTokens: { lte: 512, gt: 100 } })])).toBe('r');
    expect(decide([rule('r', { maxTokens: { lt: 512 } })])).toBeUndefined();
    expect(decide([rule('r', { maxTokens: { gte: 0 } })], request({ maxOutputTokens: undefined }))).toBeUndefined();
    expect(decide([rule('r', { reasoning: ['unset', 'low'] })])).toBe('r');
    expect(decide([rule('r', { reasoning: ['low'] })], request({ json: { thinking: { type: 'enabled' } } }))).toBeUndefined();
    expect(decide([rule('r', { images: false, systemHash: ['none'] })])).toBe('r');
    expect(decide([rule('r', { systemHash: ['2d711642b726b044'] })], request({ json: { system: 'x', messages: [] } }))).toBe('r');
  });

  it('evaluates in order: the first matching enforce rule wins', () => {
    expect(decide([rule('a', { user: ['bob'] }), rule('b', {}), rule('c', {})])).toBe('b');
  });

  it('never lets a shadow rule change which enforce rule routes, and records a shadow rule only when none did', () => {
    const r = new RuleRouter([rule('trial', {}, 'shadow', 'claude-haiku-4-5'), rule('live', { tags: { workflow: 'review' } }, 'enforce', 'claude-sonnet-4-5')]);
    expect(r.decide(request(), all)).toEqual({ rule: 'live', mode: 'enforce', action: { model: 'claude-sonnet-4-5' } });
    expect(r.decide(request({ tags: {} }), all)).toEqual({ rule: 'trial', mode: 'shadow', action: { model: 'claude-haiku-4-5' } });
  });

  it('skips a rule whose target the check refuses, and goes on to the next', () => {
    const r = new RuleRouter([rule('denied', {}, 'enforce', 'claude-opus-4-1'), rule('next', {}, 'enforce', 'claude-haiku-4-5')]);
    expect(r.decide(request(), (a) => a.model !== 'claude-opus-4-1')?.rule).toBe('next');
    expect(r.decide(request(), () => false)).toBeUndefined();
  });

  it('computes body features only when a rule that gets that far needs them', () => {
    let walked = 0;
    const body: Record<string | symbol, unknown> = { messages: [] };
    const json = new Proxy(body, {
      get(t, k) {
        walked++;
        return t[k];
      },
    });
    expect(decide([rule('r', { user: ['bob'], inputTokens: { lt: 10 }, tools: false })], request({ json }))).toBeUndefined();
    expect(walked).toBe(0);
    expect(decide([rule('r', { tools: false })], request({ json }))).toBe('r');
    expect(walked).toBeGreaterThan(0);
  });
});

describe('the input token condition', () => {
  const body = (chars: number) => ({ messages: [{ role: 'user', content: 'x'.repeat(chars) }] });
  it('agrees with the full estimate at and around every kind of bound, however far it counts', () => {
    // 'user' + 'x' * chars: ceil((4 + chars) / 4) tokens.
    for (const chars of [0, 3996, 3997, 4000, 4001, 8000, 100_000]) {
      const tokens = Math.ceil((4 + chars) / 4);
      for (const range of [{ lt: 1000 }, { lte: 1000 }, { gt: 1000 }, { gte: 1000 }, { gt: 10, lt: 1001 }, { gte: 1001, lte: 2000 }]) {
        const want = (range.lt === undefined || tokens < range.lt) && (range.lte === undefined || tokens <= range.lte) && (range.gt === undefined || tokens > range.gt) && (range.gte === undefined || tokens >= range.gte);
        expect(decide([rule('r', { inputTokens: range })], request({ json: body(chars) })) === 'r', `${chars} chars, ${JSON.stringify(range)}`).toBe(want);
      }
    }
  });

  it('counts further when a later rule has a higher bound', () => {
    const rules = [rule('low', { inputTokens: { gte: 100 }, user: ['bob'] }), rule('a', { inputTokens: { lt: 10 } }), rule('b', { inputTokens: { lt: 30_000 } })];
    // The first rule fails on user before counting; 'a' counts to 10 and stops; 'b' must count on.
    expect(decide(rules, request({ json: body(100_000) }))).toBe('b');
    expect(decide(rules, request({ json: body(200_000) }))).toBeUndefined();
  });
});
