import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Document, LineCounter, isMap, isPair, isScalar, parseDocument } from 'yaml';
import type { z } from 'zod';
import { type Config, DEFAULTS, DEFAULT_PROVIDERS, type ProviderConfig, storageConfig } from './config.js';
import { closest } from '../core/closest.js';
import { plainIssue } from '../core/issue-text.js';
import { fieldsAt } from '../core/schema-fields.js';
import { ConfigError, type ConfigIssue, formatPath } from './errors.js';
import { expandEnv, retypeExpanded } from './env.js';
import { anomalySettings } from './anomalies.js';
import { alertsConfig, configRules, policyChecks, policySettings } from './policy.js';
import { routingChecks, routingConfig, ruleTargetChecks } from './routing.js';
import { type ConfigFile, fileSchema } from './schema.js';
import { parseGatewayAddress } from '../telemetry/via-gateway.js';
import { toRoutingRule } from '../routing/rules/rule-input.js';
import { DEFAULT_THROTTLE } from '../identity/auth-throttle.js';

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Command-line flags, which win over the file. `db` sets storage.sqlite. */
  overrides?: { host?: string; port?: number; db?: string };
}

/** Reads, expands, validates and normalises the configuration. Throws ConfigError listing every problem. */
export function loadConfig(o: LoadOptions = {}): Config {
  const file = o.file ? parseFile(o.file, o.env ?? process.env) : undefined;
  return normalise(file?.value ?? {}, o, file ? resolve(o.file!) : undefined);
}

function parseFile(path: string, env: NodeJS.ProcessEnv): { value: ConfigFile } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [{ path: '', line: undefined, message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})` }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const lineOf = (offset: number | undefined) => (offset === undefined ? undefined : lines.linePos(offset).line);
  if (doc.errors.length > 0) throw new ConfigError(path, syntaxIssues(text, doc.errors, lines));
  const issues: ConfigIssue[] = [];
  const expanded = expandEnv(doc, env, lineOf, issues);
  let parsed = fileSchema.safeParse((doc.toJS() as unknown) ?? {});
  if (!parsed.success && retypeExpanded(doc, parsed.error.issues, expanded)) parsed = fileSchema.safeParse((doc.toJS() as unknown) ?? {});
  // A setting whose variable is unset is reported once, for that: not again for the placeholder left in it.
  const unset = new Set(issues.map((i) => i.path));
  if (!parsed.success) issues.push(...parsed.error.issues.flatMap((i) => fromTheEnvironment(describeIssue(i, doc, lineOf), i, doc, expanded)).filter((i) => !unset.has(i.path)));
  if (parsed.success) issues.push(...crossChecks(parsed.data, doc, lineOf));
  if (issues.length > 0) throw new ConfigError(path, issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  return { value: parsed.data! };
}

/** A value an environment variable put there is shown, since the file does not show it (`must be a number` for `${LEASE:-abc}`). */
function fromTheEnvironment(found: ConfigIssue[], issue: z.core.$ZodIssue, doc: Document, expanded: ReadonlySet<unknown>): ConfigIssue[] {
  const node = doc.getIn(issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), true);
  if (!isScalar(node) || !expanded.has(node)) return found;
  return found.map((i) => ({ ...i, message: `${i.message} (the environment made it ${JSON.stringify(node.value)})` }));
}

function describeIssue(issue: z.core.$ZodIssue, doc: Document, lineOf: (o: number | undefined) => number | undefined): ConfigIssue[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
  const parentLine = () => {
    for (let n = path.length - 1; n >= 0; n--) {
      const parent = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (parent?.range) return lineOf(parent.range[0]);
    }
    return undefined;
  };
  if (issue.code === 'unrecognized_keys') {
    const parent = doc.getIn(path, true);
    return issue.keys.map((key) => {
      const pair = isMap(parent) ? parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key) : undefined;
      const keyNode = pair && isScalar(pair.key) ? pair.key : undefined;
      const valid = knownKeys(path);
      const hint = closest(key, valid);
      return { path: formatPath([...path, key]), line: lineOf(keyNode?.range?.[0]) ?? parentLine(), message: `unknown setting${hint ? `; did you mean "${hint}"?` : valid.length ? ` (valid: ${valid.join(', ')})` : ''}` };
    });
  }
  // A union (an amount given as a number or a string) reports a missing value as its own failure.
  const missing = (issue.code === 'invalid_type' || issue.code === 'invalid_union') && node === undefined;
  return [{ path: formatPath(path), line: node?.range ? lineOf(node.range[0]) : parentLine(), message: missing ? 'is required' : plainIssue(issue) }];
}

/** The keys allowed at a path, for "did you mean" hints. */
function knownKeys(path: (string | number)[]): string[] {
  return fieldsAt(fileSchema, path);
}

function crossChecks(c: ConfigFile, doc: Document, lineOf: (o: number | undefined) => number | undefined): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const line = (path: (string | number)[]) => lineOf((doc.getIn(path, true) as { range?: number[] } | undefined)?.range?.[0]);
  const names = (c.providers ?? DEFAULT_PROVIDERS).map((p) => p.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) issues.push({ path: `providers[${i}].name`, line: line(['providers', i, 'name']), message: `"${n}" is already used by providers[${names.indexOf(n)}]` });
  });
  for (const name of Object.keys(c.pricing?.discounts ?? {})) {
    if (!names.includes(name)) issues.push({ path: `pricing.discounts.${name}`, line: line(['pricing', 'discounts', name]), message: `no provider is named "${name}" (providers: ${names.join(', ')})` });
  }
  c.pricing?.overrides?.forEach((o, i) => {
    if (o.provider !== undefined && !names.includes(o.provider)) issues.push({ path: `pricing.overrides[${i}].provider`, line: line(['pricing', 'overrides', i, 'provider']), message: `no provider is named "${o.provider}"` });
  });
  c.providers?.forEach((p, i) => issues.push(...translateChecks(p, i, line)));
  c.cache?.forEach((r, i) => {
    if (r.provider !== undefined && !names.includes(r.provider)) issues.push({ path: `cache[${i}].provider`, line: line(['cache', i, 'provider']), message: `no provider is named "${r.provider}"` });
  });
  issues.push(...policyChecks(c, line));
  issues.push(...routingChecks(c, c.providers ?? DEFAULT_PROVIDERS, line));
  issues.push(...ruleTargetChecks(c, line));
  const ids = (c.routing_rules ?? []).map((r) => r.id);
  c.routing_rules?.forEach((r, i) => {
    if (ids.indexOf(r.id) !== i) issues.push({ path: `routing_rules[${i}].id`, line: line(['routing_rules', i, 'id']), message: `"${r.id}" is already used by routing_rules[${ids.indexOf(r.id)}]` });
    if (r.action.provider !== undefined && !names.includes(r.action.provider)) {
      issues.push({ path: `routing_rules[${i}].action.provider`, line: line(['routing_rules', i, 'action', 'provider']), message: `no provider is named "${r.action.provider}" (providers: ${names.join(', ')})` });
    }
  });
  return issues;
}

/** `translate_from` pairs Anthropic Messages with OpenAI Chat Completions, nothing else (docs/translation.md). */
function translateChecks(p: NonNullable<ConfigFile['providers']>[number], i: number, line: (path: (string | number)[]) => number | undefined): ConfigIssue[] {
  const from = p.translate_from ?? [];
  const at = (j: number) => ({ path: `providers[${i}].translate_from[${j}]`, line: line(['providers', i, 'translate_from', j]) ?? line(['providers', i, 'translate_from']) });
  const other = p.dialect === 'openai' ? 'anthropic' : p.dialect === 'anthropic' ? 'openai' : undefined;
  return from.flatMap((d, j) => {
    if (other === undefined) return [{ ...at(j), message: `a gemini provider cannot serve other dialects; translation pairs openai and anthropic only` }];
    if (d === p.dialect) return [{ ...at(j), message: `"${d}" is this provider's own dialect; list only the client dialect to translate from ("${other}")` }];
    if (d !== other) return [{ ...at(j), message: `"${d}" clients cannot be translated; an ${p.dialect} provider can serve "${other}" clients only` }];
    if (from.indexOf(d) !== j) return [{ ...at(j), message: `"${d}" is listed twice` }];
    return [];
  });
}

function normalise(f: ConfigFile, o: LoadOptions, source: string | undefined): Config {
  const storage = storageConfig(f.storage, o.overrides?.db);
  const providers: ProviderConfig[] = f.providers
    ? f.providers.map((p) => ({ name: p.name, dialect: p.dialect, baseUrl: p.base_url.replace(/\/+$/, ''), apiKey: p.api_key, models: p.models, headers: lowerKeys(p.headers ?? {}), catalog: p.catalog, ...(p.translate_from ? { translateFrom: p.translate_from } : {}) }))
    : DEFAULT_PROVIDERS.map((p) => ({ ...p }));
  const dec = (n: number | undefined) => (n === undefined ? undefined : String(n));
  const policy = policySettings(f);
  const alerts = alertsConfig(f);
  return {
    server: {
      host: o.overrides?.host ?? f.server?.host ?? DEFAULTS.host,
      port: o.overrides?.port ?? f.server?.port ?? DEFAULTS.port,
      maxBodyBytes: Math.round((f.server?.max_body_mb ?? DEFAULTS.maxBodyMb) * 1024 * 1024),
      maxUploadBytes: Math.round((f.server?.max_upload_mb ?? DEFAULTS.maxUploadMb) * 1024 * 1024),
      // Four bodies of the largest size by default.
      unverifiedBodiesBytes: Math.round((f.server?.unverified_bodies_mb ?? 4 * (f.server?.max_body_mb ?? DEFAULTS.maxBodyMb)) * 1024 * 1024),
      ...(f.server?.unverified_bodies_per_address_mb === undefined ? {} : { unverifiedBodiesPerAddressBytes: Math.round(f.server.unverified_bodies_per_address_mb * 1024 * 1024) }),
      connectTimeoutMs: f.server?.connect_timeout_ms ?? DEFAULTS.connectTimeoutMs,
      firstByteTimeoutMs: f.server?.first_byte_timeout_ms ?? DEFAULTS.firstByteTimeoutMs,
      idleTimeoutMs: f.server?.idle_timeout_ms ?? DEFAULTS.idleTimeoutMs,
      requestTimeoutMs: f.server?.request_timeout_ms ?? DEFAULTS.requestTimeoutMs,
      shutdownDelayMs: f.server?.shutdown_delay_ms ?? DEFAULTS.shutdownDelayMs,
      maxConnections: f.server?.max_connections ?? DEFAULTS.maxConnections,
      trustedProxies: f.server?.trusted_proxies?.length ? { addresses: f.server.trusted_proxies, header: f.server.forwarded_header ?? 'x-forwarded-for' } : undefined,
      cors: f.server?.cors ? { origins: f.server.cors.origins } : undefined,
      tls: f.server?.tls ? { cert: resolve(f.server.tls.cert), key: resolve(f.server.tls.key) } : undefined,
    },
    storage,
    redis: f.redis,
    auth: {
      passthrough: f.auth?.passthrough ?? 'allow',
      anonymous: f.auth?.anonymous ?? 'deny',
      storedObjects: f.auth?.stored_objects ?? 'team',
      adminFailures: {
        limit: f.auth?.admin_failures?.limit ?? DEFAULT_THROTTLE.limit,
        windowMs: f.auth?.admin_failures?.window_ms ?? DEFAULT_THROTTLE.windowMs,
        blockMs: f.auth?.admin_failures?.block_ms ?? DEFAULT_THROTTLE.blockMs,
      },
    },
    providers,
    pricing: {
      discounts: Object.fromEntries(Object.entries(f.pricing?.discounts ?? {}).map(([k, v]) => [k, String(v)])),
      overrides: (f.pricing?.overrides ?? []).map((x) => {
        const lc = x.long_context;
        const longContext = lc && { aboveTokens: lc.above_tokens, input: String(lc.input), cacheRead: dec(lc.cache_read), cacheWrite: dec(lc.cache_write), cacheWrite1h: dec(lc.cache_write_1h), output: String(lc.output) };
        return { model: x.model, provider: x.provider, input: String(x.input), cacheRead: dec(x.cache_read), cacheWrite: dec(x.cache_write), cacheWrite1h: dec(x.cache_write_1h), output: String(x.output), longContext };
      }),
      fastMode: (f.pricing?.fast_mode ?? []).map((x) => ({ model: x.model, multiplier: String(x.multiplier) })),
    },
    log: { level: f.log?.level ?? 'info' },
    policy,
    rules: configRules(f),
    routingRules: (f.routing_rules ?? []).map(toRoutingRule),
    alerts,
    routing: routingConfig(f, providers, f.server?.first_byte_timeout_ms ?? DEFAULTS.firstByteTimeoutMs),
    cache: {
      hashPrompts: f.cache_analysis?.hash_prompts ?? true,
      storePrompts: f.cache_analysis?.store_prompts ?? false,
      rules: (f.cache ?? []).map((r) => ({ model: r.model, provider: r.provider, mode: r.mode, ttl: r.ttl })),
    },
    anomalies: anomalySettings(f.anomalies, policy.timeZone, alerts.webhooks.length > 0),
    telemetry: { enabled: f.telemetry?.enabled ?? true, gatewayAddresses: (f.telemetry?.gateway_addresses ?? []).map(parseGatewayAddress) },
    deferredUsage:
      f.deferred_usage?.poll === false
        ? undefined
        : { intervalMs: f.deferred_usage?.interval_ms ?? 60_000, maxAgeMs: f.deferred_usage?.max_age_hours === undefined ? DEFAULTS.deferredMaxAgeMs : f.deferred_usage.max_age_hours * 3_600_000 },
    import: { user: f.import?.user, team: f.import?.team },
    source,
  };
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

/**
 * YAML's errors, one per line. An unquoted `${VAR}` inside a `{ … }` map is the usual cause
 * (YAML reads its braces as another map), so that line says how to write it instead; the parser
 * is lost after it (`Unexpected scalar token in YAML stream` on every line that follows), so of
 * the lines after it only those with the same mistake are reported.
 */
function syntaxIssues(text: string, errors: readonly { pos: [number, number]; message: string; code?: string }[], lines: LineCounter): ConfigIssue[] {
  const source = text.split('\n');
  const seen = new Set<number>();
  const out: ConfigIssue[] = [];
  let lost = false;
  for (const e of errors) {
    const line = lines.linePos(e.pos[0]).line;
    if (seen.has(line)) continue;
    seen.add(line);
    const unquoted = /[{,]\s*[\w-]+\s*:\s*\$\{/.test(source[line - 1] ?? '');
    if (lost && !unquoted) continue;
    lost ||= unquoted;
    out.push({ path: '', line, message: unquoted ? 'YAML syntax: inside { … } an environment variable must be quoted, as in api_key: "${OPENAI_API_KEY}"' : `YAML syntax: ${plainSyntax(e)}` });
  }
  return out;
}

/** The parser's message, but in the config's words where it speaks of its own API ("please use YAML.parseAllDocuments()"). */
function plainSyntax(e: { message: string; code?: string }): string {
  if (e.code === 'MULTIPLE_DOCS') return 'a second YAML document starts here (a --- line after the settings): a config is one document, so put every setting above it and remove the line';
  return e.message.split('\n')[0]!;
}
