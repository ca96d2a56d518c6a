import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, loadConfig } from './index.js';
import { configFile as file, configIssues as issues } from './testing.js';

const EXAMPLE = `server: { host: 127.0.0.1, port: 8790 }
storage: { sqlite: ./.tollgate/tollgate.db }
providers:
  - name: openai                  # any name; several providers may share a dialect
    dialect: openai               # openai | anthropic | gemini
    base_url: https://api.openai.com   # origin; the dialect's /v1/... paths are appended
    api_key: \${OPENAI_API_KEY}    # \${VAR} expands from the environment
    models: ["gpt-*", "o*"]       # optional globs: which models this provider serves
  - name: local-qwen
    dialect: openai
    base_url: http://127.0.0.1:8000
    models: ["qwen*"]
  - name: anthropic
    dialect: anthropic
    base_url: https://api.anthropic.com
pricing:
  discounts: { anthropic: 0.05 }  # optional negotiated discount per provider, a fraction
  overrides:                      # USD per million tokens; overrides win over the catalog
    - model: "acme-*"
      input: 3.00
      cache_read: 0.30
      cache_write: 3.75
      cache_write_1h: 6.00
      output: 15.00
`;

describe('loadConfig', () => {
  it('loads the documented example and normalises it', () => {
    const c = loadConfig({ file: file(EXAMPLE), env: { OPENAI_API_KEY: 'sk-test' } });
    expect(c.server).toMatchObject({ host: '127.0.0.1', port: 8790, maxBodyBytes: 32 * 1024 * 1024 });
    expect(c.storage).toEqual({ kind: 'sqlite', path: resolve('.tollgate/tollgate.db'), spoolDir: resolve('.tollgate/spool'), writer: 'inline' });
    expect(c.providers.map((p) => [p.name, p.dialect, p.baseUrl, p.apiKey, p.models])).toEqual([
      ['openai', 'openai', 'https://api.openai.com', 'sk-test', ['gpt-*', 'o*']],
      ['local-qwen', 'openai', 'http://127.0.0.1:8000', undefined, ['qwen*']],
      ['anthropic', 'anthropic', 'https://api.anthropic.com', undefined, undefined],
    ]);
    expect(c.pricing.discounts).toEqual({ anthropic: '0.05' });
    expect(c.pricing.overrides[0]).toEqual({ model: 'acme-*', provider: undefined, input: '3', cacheRead: '0.3', cacheWrite: '3.75', cacheWrite1h: '6', output: '15' });
  });

  it('works with no file: public endpoints, SQLite, 127.0.0.1:8790', () => {
    const c = loadConfig({ env: {} });
    expect(c.providers.map((p) => p.baseUrl)).toEqual(['https://api.openai.com', 'https://api.anthropic.com', 'https://generativelanguage.googleapis.com']);
    expect(c.server).toMatchObject({ host: '127.0.0.1', port: 8790 });
    expect(c.storage.kind).toBe('sqlite');
    expect(c.auth).toEqual({ passthrough: 'allow', anonymous: 'deny', storedObjects: 'team', adminFailures: { limit: 10, windowMs: 60_000, blockMs: 300_000 } });
  });

  it('sets a file upload’s limit apart from the body limit: 512 MB by default, server.max_upload_mb otherwise', () => {
    expect(loadConfig({ env: {} }).server).toMatchObject({ maxBodyBytes: 32 * 1024 * 1024, maxUploadBytes: 512 * 1024 * 1024 });
    expect(loadConfig({ file: file('server:\n  max_upload_mb: 2.5\n') }).server).toMatchObject({ maxBodyBytes: 32 * 1024 * 1024, maxUploadBytes: 2.5 * 1024 * 1024 });
    expect(issues('server:\n  max_upload_mb: 0\n')).toEqual(['server.max_upload_mb@2: must be more than 0']);
    expect(issues('server:\n  max_upload_mb: 9000\n')).toEqual(['server.max_upload_mb@2: must be at most 8192']);
  });

  it('holds four bodies of the largest size at once from callers without a Tollgate key by default; server.unverified_bodies_mb otherwise, at least max_body_mb', () => {
    expect(loadConfig({ env: {} }).server.unverifiedBodiesBytes).toBe(128 * 1024 * 1024);
    expect(loadConfig({ file: file('server:\n  max_body_mb: 10\n') }).server.unverifiedBodiesBytes).toBe(40 * 1024 * 1024);
    expect(loadConfig({ file: file('server:\n  unverified_bodies_mb: 48.5\n') }).server.unverifiedBodiesBytes).toBe(48.5 * 1024 * 1024);
    expect(issues('server:\n  unverified_bodies_mb: 0\n')).toEqual(['server.unverified_bodies_mb@2: must be more than 0']);
    expect(issues('server:\n  unverified_bodies_mb: 16\n')).toEqual(['server.unverified_bodies_mb@2: must be at least server.max_body_mb (32): a body that large from a caller without a Tollgate key could never be taken']);
    expect(issues('server:\n  max_body_mb: 100\n  unverified_bodies_mb: 64\n')).toEqual(['server.unverified_bodies_mb@3: must be at least server.max_body_mb (100): a body that large from a caller without a Tollgate key could never be taken']);
  });

  it('lets one client address hold what server.unverified_bodies_per_address_mb says, from max_body_mb to the whole room', () => {
    // Unset: the room's default share (a quarter, or one largest body), which BodyRoom works out.
    expect(loadConfig({ env: {} }).server.unverifiedBodiesPerAddressBytes).toBeUndefined();
    expect(loadConfig({ file: file('server:\n  unverified_bodies_mb: 64\n  unverified_bodies_per_address_mb: 64\n') }).server.unverifiedBodiesPerAddressBytes).toBe(64 * 1024 * 1024);
    expect(loadConfig({ file: file('server:\n  max_body_mb: 8\n  unverified_bodies_per_address_mb: 8.5\n') }).server.unverifiedBodiesPerAddressBytes).toBe(8.5 * 1024 * 1024);
    expect(issues('server:\n  unverified_bodies_per_address_mb: 0\n')).toEqual(['server.unverified_bodies_per_address_mb@2: must be more than 0']);
    expect(issues('server:\n  unverified_bodies_per_address_mb: 16\n')).toEqual(['server.unverified_bodies_per_address_mb@2: must be at least server.max_body_mb (32): a body that large from one client address could never be taken']);
    expect(issues('server:\n  unverified_bodies_mb: 40\n  unverified_bodies_per_address_mb: 41\n')).toEqual(['server.unverified_bodies_per_address_mb@3: must be at most server.unverified_bodies_mb (40): one address cannot hold more than the room']);
    expect(issues('server:\n  unverified_bodies_per_address_mb: 200\n')).toEqual(['server.unverified_bodies_per_address_mb@2: must be at most server.unverified_bodies_mb (128, 4 × server.max_body_mb by default): one address cannot hold more than the room']);
    // A room refused on its own is said once, not again through the share.
    expect(issues('server:\n  unverified_bodies_mb: 16\n  unverified_bodies_per_address_mb: 40\n')).toEqual(['server.unverified_bodies_mb@2: must be at least server.max_body_mb (32): a body that large from a caller without a Tollgate key could never be taken']);
  });

  it('refuses an address for 5 minutes after 10 wrong admin tokens within a minute by default; auth.admin_failures sets each', () => {
    expect(loadConfig({ file: file('auth:\n  admin_failures: { limit: 5, block_ms: 900000 }\n') }).auth.adminFailures).toEqual({ limit: 5, windowMs: 60_000, blockMs: 900_000 });
    expect(issues('auth:\n  admin_failures:\n    limit: 0\n    window_ms: 60\n    block_ms: 1.5\n')).toEqual([
      'auth.admin_failures.limit@3: must be at least 1',
      'auth.admin_failures.window_ms@4: must be at least 1000 (milliseconds: 60 s is 60000)',
      'auth.admin_failures.block_ms@5: must be a whole number of milliseconds',
    ]);
    expect(issues('auth:\n  admin_failures: { limt: 5 }\n')[0]).toMatch(/^auth\.admin_failures\.limt@2: unknown setting; did you mean "limit"/);
  });

  it('shares stored objects within a key team by default; auth.stored_objects sets key or shared, and refuses anything else', () => {
    expect(loadConfig({ env: {} }).auth.storedObjects).toBe('team');
    expect(loadConfig({ file: file('auth:\n  stored_objects: key\n') }).auth.storedObjects).toBe('key');
    expect(loadConfig({ file: file('auth:\n  stored_objects: shared\n') }).auth.storedObjects).toBe('shared');
    expect(issues('auth:\n  passthrough: allow\n  stored_objects: teams\n')).toEqual(['auth.stored_objects@3: must be team, key or shared']);
  });

  it('caps the connections open at once: 4000 by default, server.max_connections otherwise, a whole number from 1', () => {
    expect(loadConfig({ env: {} }).server.maxConnections).toBe(4000);
    expect(loadConfig({ file: file('server:\n  max_connections: 20000\n') }).server.maxConnections).toBe(20_000);
    expect(issues('server:\n  port: 1\n  max_connections: 0\n')).toEqual(['server.max_connections@3: must be at least 1']);
    expect(issues('server:\n  max_connections: 2.5\n')).toEqual(['server.max_connections@2: must be a whole number of connections']);
    expect(issues('server:\n  max_connections: lots\n')).toEqual(['server.max_connections@2: must be a whole number of connections']);
    expect(issues('server:\n  max_connections: 2000000\n')).toEqual(['server.max_connections@2: must be at most 1000000']);
  });

  it('believes the forwarded client only from server.trusted_proxies, addresses and CIDR ranges of either family', () => {
    expect(loadConfig({ env: {} }).server.trustedProxies).toBeUndefined();
    expect(loadConfig({ file: file('server:\n  trusted_proxies: []\n') }).server.trustedProxies).toBeUndefined();
    const listed = 'server:\n  trusted_proxies: [10.0.0.0/8, "2001:db8::/32", 192.0.2.1, "::ffff:10.0.0.0/104"]\n';
    expect(loadConfig({ file: file(listed) }).server.trustedProxies).toEqual({ addresses: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.1', '::ffff:10.0.0.0/104'], header: 'x-forwarded-for' });
    expect(loadConfig({ file: file('server:\n  trusted_proxies: [10.0.0.1]\n  forwarded_header: forwarded\n') }).server.trustedProxies?.header).toBe('forwarded');
    const wrong = 'must be an IP address or a CIDR range, such as 10.0.0.0/8 or 2001:db8::/32';
    expect(issues('server:\n  port: 1\n  trusted_proxies:\n    - 10.0.0.0/8\n    - 10.0.0.0/33\n    - lb.internal\n')).toEqual([`server.trusted_proxies[1]@5: ${wrong}`, `server.trusted_proxies[2]@6: ${wrong}`]);
    expect(issues('server:\n  trusted_proxies: 10.0.0.0/8\n')).toEqual(['server.trusted_proxies@2: must be a list of IP addresses or CIDR ranges']);
    expect(issues('server:\n  forwarded_header: x-real-ip\n')).toEqual(['server.forwarded_header@2: must be x-forwarded-for or forwarded']);
  });

  it('turns the OTLP receiver on by default, off with telemetry.enabled: false', () => {
    expect(loadConfig({ env: {} }).telemetry).toEqual({ enabled: true, gatewayAddresses: [] });
    expect(loadConfig({ file: file('telemetry: { enabled: false }\n') }).telemetry).toEqual({ enabled: false, gatewayAddresses: [] });
    expect(issues('telemetry:\n  enabled: yes please\n')).toEqual(['telemetry.enabled@2: must be true or false']);
    // Bounds in plain words, not the schema library's ("Too small: expected number to be >0").
    expect(issues('policy:\n  lease_minutes: 0\n  default_max_output_tokens: 0\n')).toEqual(['policy.lease_minutes@2: must be more than 0', 'policy.default_max_output_tokens@3: must be more than 0']);
    expect(issues('budgets:\n  - scope: user:a\n    window: day\n    limit_usd: 5\n    downgrade: { at_percent: 150, to: m }\n')).toEqual(['budgets[0].downgrade.at_percent@5: must be at most 100']);
  });

  it('asks about background responses and batches every minute for 72 hours by default; deferred_usage sets or stops it', () => {
    expect(loadConfig({ env: {} }).deferredUsage).toEqual({ intervalMs: 60_000, maxAgeMs: 72 * 3_600_000 });
    expect(loadConfig({ file: file('deferred_usage: { interval_ms: 5000, max_age_hours: 1.5 }\n') }).deferredUsage).toEqual({ intervalMs: 5000, maxAgeMs: 5_400_000 });
    expect(loadConfig({ file: file('deferred_usage: { poll: false }\n') }).deferredUsage).toBeUndefined();
    expect(issues('deferred_usage:\n  interval_ms: 10\n  max_age_hours: 0\n')).toEqual([
      'deferred_usage.interval_ms@2: must be at least 1000',
      'deferred_usage.max_age_hours@3: must be above 0',
    ]);
  });

  it('reads the other gateways\' addresses, and names a bad one', () => {
    const t = loadConfig({ file: file('telemetry:\n  gateway_addresses: [tollgate.internal:8790, "https://llm.example.com", lb.internal]\n') }).telemetry;
    expect(t.gatewayAddresses).toEqual([{ host: 'tollgate.internal', port: 8790 }, { host: 'llm.example.com', port: 443 }, { host: 'lb.internal', port: null }]);
    expect(issues('telemetry:\n  gateway_addresses: ["gw:70000"]\n')).toEqual(['telemetry.gateway_addresses[0]@2: "gw:70000": the port must be 1 to 65535']);
  });

  it('lets flags win over the file', () => {
    const c = loadConfig({ file: file('server: { port: 9000, host: 0.0.0.0 }\n'), overrides: { port: 7000, db: '/tmp/x.db' } });
    expect(c.server).toMatchObject({ port: 7000, host: '0.0.0.0' });
    expect(c.storage).toMatchObject({ kind: 'sqlite', path: '/tmp/x.db', spoolDir: '/tmp/spool' });
  });

  it('bounds the waits on Postgres at 10 s, 30 s and 5 min unless storage sets them, also under a --db URL', () => {
    const pg = 'storage:\n  postgres: postgres://127.0.0.1/x\n';
    expect(loadConfig({ file: file(pg) }).storage).toMatchObject({ kind: 'postgres', timeouts: { connectTimeoutMs: 10_000, queryTimeoutMs: 30_000, reportTimeoutMs: 300_000 } });
    const set = loadConfig({ file: file(`${pg}  connect_timeout_ms: 2000\n  query_timeout_ms: 5000\n  report_timeout_ms: 60000\n`) }).storage;
    expect(set).toMatchObject({ timeouts: { connectTimeoutMs: 2000, queryTimeoutMs: 5000, reportTimeoutMs: 60_000 } });
    const flag = loadConfig({ file: file('storage:\n  sqlite: ./x.db\n  query_timeout_ms: 5000\n'), overrides: { db: 'postgres://127.0.0.1/y' } }).storage;
    expect(flag).toMatchObject({ kind: 'postgres', url: 'postgres://127.0.0.1/y', timeouts: { queryTimeoutMs: 5000 } });
  });

  it('names a Postgres wait that is not a whole number of milliseconds from 100 to a day, with its line', () => {
    const text = 'storage:\n  postgres: postgres://127.0.0.1/x\n  connect_timeout_ms: 2.5\n  query_timeout_ms: 30\n  report_timeout_ms: 5m\n';
    expect(issues(text)).toEqual([
      'storage.connect_timeout_ms@3: must be a whole number of milliseconds',
      'storage.query_timeout_ms@4: must be at least 100 (milliseconds: 30 s is 30000)',
      'storage.report_timeout_ms@5: must be a whole number of milliseconds',
    ]);
    expect(issues('storage:\n  query_timeout_ms: 3000000000\n')).toEqual(['storage.query_timeout_ms@2: must be at most 86400000 (a day)']);
    expect(issues('storage:\n  query_timeout: 30000\n')).toEqual(['storage.query_timeout@2: unknown setting; did you mean "query_timeout_ms"?']);
  });

  it('expands ${VAR} and ${VAR:-default}, and names an unset variable with its line', () => {
    const text = 'providers:\n  - name: a\n    dialect: openai\n    base_url: ${BASE:-http://127.0.0.1:1234}\n    api_key: ${MISSING_KEY}\n';
    expect(issues(text)).toEqual(['providers[0].api_key@5: environment variable MISSING_KEY is not set (use ${MISSING_KEY:-default} for a fallback)']);
    const c = loadConfig({ file: file(text), env: { MISSING_KEY: 'k' } });
    expect(c.providers[0]).toMatchObject({ baseUrl: 'http://127.0.0.1:1234', apiKey: 'k' });
  });

  it('names an unset variable once per setting, not again as a bad value; an empty fallback leaves an optional setting out', () => {
    expect(issues('server:\n  port: ${NOPE}\nalerts:\n  public_url: ${NOPE}\n')).toEqual([
      'server.port@2: environment variable NOPE is not set (use ${NOPE:-default} for a fallback)',
      'alerts.public_url@4: environment variable NOPE is not set (use ${NOPE:-default} for a fallback)',
    ]);
    const c = loadConfig({ file: file('providers:\n  - name: a\n    dialect: openai\n    base_url: http://x\n    api_key: "${KEY_B:-}"\n'), env: {} });
    expect(c.providers[0]!.apiKey).toBeUndefined();
  });

  it('reads a variable as a number or a boolean where the setting is one (port: ${PORT})', () => {
    const text = 'server:\n  port: ${PORT}\n  max_body_mb: "${BODY_MB:-8}"\npolicy:\n  show_amounts: ${SHOW:-false}\nproviders:\n  - { name: a, dialect: openai, base_url: "http://x", api_key: "${KEY}" }\n';
    const c = loadConfig({ file: file(text), env: { PORT: '9000', KEY: '12345' } });
    expect(c.server).toMatchObject({ port: 9000, maxBodyBytes: 8 * 1024 * 1024 });
    expect(c.policy.showAmounts).toBe(false);
    // A string setting keeps the text, even one that looks like a number.
    expect(c.providers[0]!.apiKey).toBe('12345');
    expect(issues(text, { PORT: 'http', KEY: 'k' })).toEqual(['server.port@2: must be a number (the environment made it "http")']);
  });

  it('names the bad setting, its line and what is allowed', () => {
    const text = 'providers:\n  - name: a\n    dialect: openai\n    base_url: http://x\n  - name: b\n    dialect: cohere\n    base_url: https://api.openai.com/v1\nserver:\n  port: 99999\n';
    expect(issues(text)).toEqual([
      'providers[1].dialect@6: must be one of openai, anthropic, gemini',
      'providers[1].base_url@7: must not end in /v1 or /v1beta: Tollgate appends the API path (/v1/...) itself',
      'server.port@9: must be a port number (0-65535)',
    ]);
  });

  it('refuses a catalog provider the price catalog does not have, suggesting the near one; takes its aliases', () => {
    const text = (catalog: string) => `providers:\n  - name: a\n    dialect: openai\n    base_url: http://127.0.0.1:9000\n    catalog: ${catalog}\n`;
    expect(issues(text('opnai'))).toEqual([
      'providers[0].catalog@5: the price catalog has no provider "opnai"; did you mean "openai"? (catalog providers include anthropic, openai, google, aws, azure, groq, mistral; docs/pricing.md)',
    ]);
    expect(issues(text('nonsense'))).toEqual(['providers[0].catalog@5: the price catalog has no provider "nonsense" (catalog providers include anthropic, openai, google, aws, azure, groq, mistral; docs/pricing.md)']);
    for (const ok of ['openai', 'groq', 'gemini', 'bedrock']) expect(loadConfig({ file: file(text(ok)) }).providers[0]!.catalog).toBe(ok);
    // Reported with the file's other errors, not after they are fixed.
    expect(issues(`${text('opnai')}pricing:\n  overrides:\n    - { model: "acme-*", input: 1.1234567, output: 2 }\n`)).toEqual([
      expect.stringMatching(/^providers\[0\]\.catalog@5: the price catalog has no provider "opnai"/),
      'pricing.overrides[0].input@8: must have at most 6 decimal places (a picodollar a token)',
    ]);
  });

  it('words type errors as the other settings are worded, not in the schema library defaults', () => {
    expect(issues('server: { port: 8899.5 }\nstorage: { sqlite: "" }\nproviders:\n  - { name: a, dialect: openai, base_url: "http://x", models: "gpt" }\n')).toEqual([
      'server.port@1: must be a whole number',
      'storage.sqlite@2: must not be empty',
      'providers[0].models@4: must be a list',
    ]);
  });

  it('names a redis URL whose database is not a whole number (whether Redis has it is checked at start)', () => {
    expect(issues('log: { level: info }\nredis: redis://127.0.0.1:6379/cache\n')).toEqual(['redis@2: the database after the port must be a whole number, as in redis://127.0.0.1:6379/0']);
    expect(issues('redis: redis://127.0.0.1:6379/-1\n')).toEqual(['redis@1: the database after the port must be a whole number, as in redis://127.0.0.1:6379/0']);
    expect(issues('redis: http://127.0.0.1:6379\n')).toEqual(['redis@1: must be a redis or rediss URL']);
    for (const ok of ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379/', 'rediss://u:p@cache.internal:6380/3']) expect(loadConfig({ file: file(`redis: "${ok}"\n`) }).redis).toBe(ok);
  });

  it('reads server.cors origins, and names a bad one with its line', () => {
    expect(loadConfig({ file: file('log: { level: info }\n') }).server.cors).toBeUndefined();
    const c = loadConfig({ file: file('server:\n  cors:\n    origins: ["https://app.example.com", "http://localhost:5173", "*"]\n') });
    expect(c.server.cors).toEqual({ origins: ['https://app.example.com', 'http://localhost:5173', '*'] });
    const bad = 'must be an origin such as https://app.example.com or http://localhost:5173 (scheme, lower-case host and port only: no path or trailing slash), or "*"';
    expect(issues('server:\n  cors:\n    origins:\n      - https://app.example.com\n      - https://app.example.com/\n      - app.example.com\n      - https://App.example.com\n      - ftp://x.example\n')).toEqual([
      `server.cors.origins[1]@5: ${bad}`,
      `server.cors.origins[2]@6: ${bad}`,
      `server.cors.origins[3]@7: ${bad}`,
      `server.cors.origins[4]@8: ${bad}`,
    ]);
    expect(issues('server:\n  cors: { origins: [] }\n')).toEqual(['server.cors.origins@2: needs at least one origin (or leave cors out)']);
    expect(issues('server:\n  cors: { origin: ["https://a.example"] }\n')).toContain('server.cors.origin@2: unknown setting; did you mean "origins"?');
  });

  it('reads server.tls as paths from where Tollgate runs, and names a missing half', () => {
    expect(loadConfig({ file: file('log: { level: info }\n') }).server.tls).toBeUndefined();
    expect(loadConfig({ file: file('server:\n  tls: { cert: ./tls/cert.pem, key: /etc/tls/key.pem }\n') }).server.tls).toEqual({ cert: resolve('tls/cert.pem'), key: '/etc/tls/key.pem' });
    expect(issues('server:\n  tls: { cert: ./cert.pem }\n')).toEqual(['server.tls.key@2: is required']);
    expect(issues('server:\n  tls: { cert: ./cert.pem, key: "" }\n')).toEqual(['server.tls.key@2: must name a PEM file']);
  });

  it('rejects unknown keys with a suggestion, and missing required ones', () => {
    expect(issues('servr: {}\nproviders:\n  - name: a\n    dialect: openai\n')).toEqual(['servr@1: unknown setting; did you mean "server"?', 'providers[0].base_url@3: is required']);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(issues('server:\n  port: [1, 2\n')[0]).toMatch(/^@3: YAML syntax/);
  });

  it('says a second YAML document is one, on its --- line, not in the parser’s own API words', () => {
    const second = '@3: YAML syntax: a second YAML document starts here (a --- line after the settings): a config is one document, so put every setting above it and remove the line';
    expect(issues('server:\n  port: 8790\n---\nserver:\n  port: 1\n')).toEqual([second]);
    // A --- opening the file starts its only document.
    expect(loadConfig({ file: file('---\nserver:\n  port: 8791\n') }).server.port).toBe(8791);
  });

  it('says how to write an environment variable inside a { } map, once for its line', () => {
    expect(issues('providers:\n  - { name: a, dialect: openai, base_url: "http://x", api_key: ${KEY} }\n')).toEqual(['@2: YAML syntax: inside { … } an environment variable must be quoted, as in api_key: "${OPENAI_API_KEY}"']);
  });

  it('leaves out the parser’s errors that only follow from an unquoted variable in a { } map, not the same mistake on a later line', () => {
    const quote = 'YAML syntax: inside { … } an environment variable must be quoted, as in api_key: "${OPENAI_API_KEY}"';
    const budgets = 'budgets:\n  - { scope: user:alice, window: day, limit_usd: 40 }\n';
    expect(issues(`providers:\n  - { name: a, dialect: openai, base_url: "http://x", api_key: \${KEY} }\n${budgets}`)).toEqual([`@2: ${quote}`]);
    expect(issues(`providers:\n  - { name: a, dialect: openai, base_url: "http://x", api_key: \${KEY} }\n  - { name: b, dialect: openai, base_url: "http://y", api_key: \${KEY} }\n${budgets}`)).toEqual([`@2: ${quote}`, `@3: ${quote}`]);
  });

  it('checks names across settings', () => {
    const text = 'providers:\n  - { name: a, dialect: openai, base_url: "http://x" }\n  - { name: a, dialect: gemini, base_url: "http://y" }\npricing:\n  discounts: { nope: 0.1 }\n  overrides:\n    - { model: "m*", provider: ghost, input: 1, output: 2 }\n';
    expect(issues(text)).toEqual([
      'providers[1].name@3: "a" is already used by providers[0]',
      'pricing.discounts.nope@5: no provider is named "nope" (providers: a, a)',
      'pricing.overrides[0].provider@7: no provider is named "ghost"',
    ]);
  });

  it('rejects a discount of 100% or more, negative prices and prices in the wrong unit', () => {
    expect(issues('pricing:\n  discounts: { openai: 1.5 }\n  overrides:\n    - { model: x, input: -1, output: 1 }\n')).toEqual([
      'pricing.discounts.openai@2: must be a fraction below 1 (0.05 is 5%)',
      'pricing.overrides[0].input@4: must be a number ≥ 0',
    ]);
    expect(issues('pricing:\n  overrides:\n    - { model: x, input: 3, output: 15000000 }\n')).toEqual(['pricing.overrides[0].output@3: must be at most 100000 (USD per million tokens)']);
    // Finer than money is held: refused with the rest of the config, not a stack trace when serve prices it.
    expect(issues('pricing:\n  overrides:\n    - { model: x, input: 1.0000005, output: 1 }\n  discounts: { anthropic: 0.0500000000001 }\n  fast_mode: [{ model: "claude-*", multiplier: 2.0000000000001 }]\n')).toEqual([
      'pricing.overrides[0].input@3: must have at most 6 decimal places (a picodollar a token)',
      'pricing.discounts.anthropic@4: must have at most 12 decimal places',
      'pricing.fast_mode[0].multiplier@5: must have at most 12 decimal places',
    ]);
  });

  it('says when the file cannot be read', () => {
    expect(() => loadConfig({ file: '/nonexistent/tollgate.yaml' })).toThrow(/cannot read the file \(ENOENT\)/);
  });

  it('exports a JSON Schema for editors', () => {
    expect(configJsonSchema()).toMatchObject({ type: 'object', additionalProperties: false });
  });
});

describe('pricing.fast_mode', () => {
  it('reads the premiums as exact decimal text, and checks them', () => {
    expect(loadConfig({ file: file('pricing:\n  fast_mode:\n    - { model: "claude-opus-4-7*", multiplier: 6 }\n') }).pricing.fastMode).toEqual([{ model: 'claude-opus-4-7*', multiplier: '6' }]);
    expect(loadConfig({ env: {} }).pricing.fastMode).toEqual([]);
    expect(issues('pricing:\n  fast_mode:\n    - { model: "claude-opus-4-7*", multiplier: 0 }\n    - { model: x }\n')).toEqual([
      'pricing.fast_mode[0].multiplier@3: must be above 0',
      expect.stringMatching(/^pricing\.fast_mode\[1\]\.multiplier@4: /),
    ]);
  });
});
