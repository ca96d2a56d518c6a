import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { configFile, configIssues } from '../../config/testing.js';

describe('routing_rules in the config file', () => {
  it('reads rules in order, in their normal form', () => {
    const c = loadConfig({
      env: {},
      file: configFile(
        [
          'routing_rules:',
          '  - id: small-to-haiku',
          '    mode: enforce',
          '    match: { model: "claude-sonnet-*", input_tokens: { lt: 2000 }, tools: false, headers: { X-Task: "summar*" }, reasoning: [unset, LOW], system_hash: 2D711642B726B044 }',
          '    action: { model: claude-haiku-4-5, provider: anthropic }',
          '  - { id: trial, mode: shadow, action: { model: gpt-5-mini } }',
        ].join('\n'),
      ),
    });
    expect(c.routingRules).toEqual([
      {
        id: 'small-to-haiku',
        mode: 'enforce',
        match: { model: ['claude-sonnet-*'], inputTokens: { lt: 2000 }, tools: false, headers: { 'x-task': 'summar*' }, reasoning: ['unset', 'low'], systemHash: ['2d711642b726b044'] },
        action: { model: 'claude-haiku-4-5', provider: 'anthropic' },
      },
      { id: 'trial', mode: 'shadow', match: {}, action: { model: 'gpt-5-mini' } },
    ]);
    expect(loadConfig({ env: {} }).routingRules).toEqual([]);
  });

  it('names every bad setting with its line', () => {
    const issues = configIssues(
      [
        'routing_rules:',
        '  - { id: a, mode: live, action: { model: x } }',
        '  - { id: a, mode: shadow, match: { input_tokens: {} }, action: { model: x, provider: nowhere } }',
        '  - { id: c, mode: shadow, match: { system_hash: abc, tokens: 3 }, action: { model: x } }',
        '  - { id: d, mode: enforce, match: { max_tokens: { lt: 1.5 } }, action: {} }',
        '  - { id: e, mode: shadow, match: { api: openai.chatt, reasoning: [1] }, action: { model: x } }',
        '  - { id: f, mode: shadow, match: { api: [anthropic.messages, openai.chatt] }, action: { model: x } }',
      ].join('\n'),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        'routing_rules[0].mode@2: must be enforce or shadow',
        'routing_rules[2].match.system_hash@4: must be 16 hex characters (tollgate routing hash-system FILE) or none',
        expect.stringMatching(/^routing_rules\[2\]\.match\.tokens@4: unknown setting/),
        'routing_rules[3].match.max_tokens.lt@5: must be a whole number',
        'routing_rules[3].action@5: set model, deployment, or both',
        'routing_rules[1].match.input_tokens@3: set at least one of lt, lte, gt, gte',
        expect.stringMatching(/^routing_rules\[4\]\.match\.api@6: must be one of openai\.chat, /),
        'routing_rules[4].match.reasoning@6: must be text',
        expect.stringMatching(/^routing_rules\[5\]\.match\.api@7: must be one of openai\.chat, /),
      ]),
    );
    // Cross-checks run once the shapes are right.
    expect(configIssues('routing_rules:\n  - { id: a, mode: shadow, action: { model: x } }\n  - { id: a, mode: shadow, action: { model: y, provider: nowhere } }\n')).toEqual([
      'routing_rules[1].id@3: "a" is already used by routing_rules[0]',
      'routing_rules[1].action.provider@3: no provider is named "nowhere" (providers: openai, anthropic, gemini)',
    ]);
  });

  it('reads a deployment target, and names the rule and the deployment when no route declares it', () => {
    const routes = ['routes:', '  - model: "claude-*"', '    deployments: [{ provider: anthropic, name: ant-eu }, { provider: anthropic }]'];
    const c = loadConfig({ env: {}, file: configFile([...routes, 'routing_rules:', '  - { id: to-eu, mode: enforce, match: { team: eu-* }, action: { deployment: ant-eu } }', '  - { id: trial, mode: shadow, action: { model: claude-haiku-4-5, deployment: anthropic } }'].join('\n')) });
    expect(c.routingRules.map((r) => r.action)).toEqual([{ deployment: 'ant-eu' }, { model: 'claude-haiku-4-5', deployment: 'anthropic' }]);
    expect(configIssues([...routes, 'routing_rules:', '  - { id: to-eu, mode: enforce, action: { deployment: ant-us } }'].join('\n'))).toEqual([
      'routing_rules[0].action.deployment@5: rule "to-eu" targets deployment "ant-us", which no route declares (deployments: ant-eu, anthropic)',
    ]);
    expect(configIssues('routing_rules:\n  - { id: to-eu, mode: enforce, action: { deployment: ant-eu } }\n')).toEqual([
      'routing_rules[0].action.deployment@2: rule "to-eu" targets deployment "ant-eu", which no route declares (no routes: are configured)',
    ]);
    expect(configIssues('routing_rules:\n  - { id: both, mode: enforce, action: { deployment: x, provider: anthropic } }\n')).toEqual([
      'routing_rules[0].action@2: set provider or deployment, not both: a deployment already names its provider',
    ]);
  });

  it('reads whether a rule falls back to the model asked for, and refuses anything but a boolean', () => {
    const c = loadConfig({ env: {}, file: configFile('routing_rules:\n  - { id: strict, mode: enforce, action: { model: claude-haiku-4-5, fallback: false } }\n') });
    expect(c.routingRules[0]!.action).toEqual({ model: 'claude-haiku-4-5', fallback: false });
    expect(configIssues('routing_rules:\n  - { id: strict, mode: enforce, action: { model: x, fallback: never } }\n')).toEqual(['routing_rules[0].action.fallback@2: must be true or false']);
  });
});
