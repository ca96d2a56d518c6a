import { describe, expect, it } from 'vitest';
import { baseUrlProblem } from './base-url.js';
import { configIssues as issues } from './testing.js';

describe('an upstream base_url', () => {
  it('is refused at load with a query, a fragment or credentials, naming the setting and its line', () => {
    const text =
      'providers:\n' +
      '  - { name: o3, dialect: openai, base_url: "http://127.0.0.1:19150?x=1" }\n' +
      '  - { name: o4, dialect: openai, base_url: "http://user:pw@127.0.0.1:19150#frag" }\n' +
      '  - { name: o5, dialect: openai, base_url: "http://127.0.0.1:19150/api#frag" }\n' +
      '  - { name: az, dialect: openai, base_url: "https://acme.openai.azure.com/openai?api-version=2024-10-21" }\n' +
      'routes:\n' +
      '  - model: "gpt-*"\n' +
      '    deployments:\n' +
      '      - { provider: o3, base_url: "http://127.0.0.1:19151/api?key=abc" }\n' +
      '      - { provider: o3, base_url: "http://bob@127.0.0.1:19151" }\n';
    const wrongPath = 'Tollgate appends the API path (/v1/...) to base_url as written, so every request would go to the wrong path';
    const clients = "A client's own query parameters are passed upstream as it sends them; fixed headers go under headers";
    expect(issues(text)).toEqual([
      `providers[0].base_url@2: must not have a query string ("?x=1"): ${wrongPath}. ${clients}`,
      'providers[1].base_url@3: must not carry a user name or password ("user:…@"): give the upstream\'s key as api_key, or its credentials as an Authorization header under headers',
      `providers[2].base_url@4: must not have a fragment ("#frag"): a fragment is never sent to a server, and ${wrongPath}`,
      `providers[3].base_url@5: must not have a query string ("?api-version=2024-10-21"): ${wrongPath}. For Azure OpenAI use its v1 API, which takes no api-version: base_url https://NAME.openai.azure.com/openai (Tollgate adds /v1/...). ${clients}`,
      `routes[0].deployments[0].base_url@9: must not have a query string ("?key=abc"): ${wrongPath}. ${clients}`,
      'routes[0].deployments[1].base_url@10: must not carry a user name or password ("bob@"): give the upstream\'s key as api_key, or its credentials as an Authorization header under headers',
    ]);
  });

  it('takes an origin, with a path prefix or a trailing slash', () => {
    for (const ok of ['https://api.openai.com', 'https://openrouter.ai/api', 'http://127.0.0.1:8000/', 'https://acme.openai.azure.com/openai']) expect(baseUrlProblem(ok)).toBeUndefined();
    // An empty query or fragment is still one: the path would follow it.
    expect(baseUrlProblem('http://127.0.0.1:8000?')).toMatch(/^must not have a query string \("\?"\)/);
    expect(baseUrlProblem('http://127.0.0.1:8000#')).toMatch(/^must not have a fragment \("#"\)/);
  });
});
