import { dirname, join, resolve } from 'node:path';
import type { CacheSettings } from '../cache-analysis/gateway.js';
import type { AnomalySettings } from '../anomalies/types.js';
import type { Dialect } from '../core/api.js';
import type { ConfigRules } from '../policy/rule-book.js';
import type { PolicySettings } from '../policy/settings.js';
import type { RoutingConfig } from './routing.js';
import type { RoutingRule } from '../routing/rules/rule.js';
import type { DeferredUsageSettings } from '../metering/deferred-usage-sweep.js';
import type { GatewayAddress } from '../telemetry/via-gateway.js';
import type { StoredObjectsMode } from '../identity/stored-objects.js';
import type { ThrottleSettings } from '../identity/auth-throttle.js';
import type { TrustedProxySettings } from '../identity/client-address.js';
import { POSTGRES_TIMEOUTS, type PostgresTimeouts } from '../storage/postgres/timeouts.js';

/** The normalised configuration every part reads. Built by `loadConfig`. */
export interface Config {
  server: {
    host: string;
    port: number;
    maxBodyBytes: number;
    /** A Files API upload's limit: streamed to the provider, never held, so apart from `maxBodyBytes`. */
    maxUploadBytes: number;
    /** Request-body bytes held at once for callers without a Tollgate key (a provider key passed through, or none). */
    unverifiedBodiesBytes: number;
    /** Of those, the most one client address holds; absent, a quarter of them or `maxBodyBytes` if that is more (BodyRoom). */
    unverifiedBodiesPerAddressBytes?: number;
    connectTimeoutMs: number;
    firstByteTimeoutMs: number;
    idleTimeoutMs: number;
    /** Time a client has to send its whole request (headers and body); past it, 408. */
    requestTimeoutMs: number;
    /** After a stop signal, how long /readyz answers 503 while everything is still served, before the listener closes. */
    shutdownDelayMs: number;
    /** Client connections served at once; one more is answered 503 as it comes. */
    maxConnections: number;
    /** The reverse proxies whose forwarded header names the client (`server.trusted_proxies`, `server.forwarded_header`); none when absent. */
    trustedProxies: TrustedProxySettings | undefined;
    /** Browser origins allowed on the API routes; CORS is off when absent. */
    cors: { origins: string[] } | undefined;
    /** PEM files (absolute paths) to serve HTTPS with; plain HTTP when absent. */
    tls: { cert: string; key: string } | undefined;
  };
  /** Postgres's `timeouts`: the file's `storage.*_timeout_ms`, else POSTGRES_TIMEOUTS. */
  storage: ({ kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; timeouts: Required<PostgresTimeouts> }) & {
    spoolDir: string;
    /** Commit ledger batches on the event loop, or in a worker thread with its own connection. */
    writer: 'inline' | 'thread';
  };
  redis: string | undefined;
  /** `adminFailures`: wrong admin tokens per client address before it is refused for a while; `storedObjects`: who may use a stored object another key made. */
  auth: { passthrough: 'allow' | 'deny'; anonymous: 'allow' | 'deny'; storedObjects: StoredObjectsMode; adminFailures: ThrottleSettings };
  providers: ProviderConfig[];
  pricing: { discounts: Record<string, string>; overrides: PriceOverride[]; fastMode: FastModePremium[] };
  log: { level: 'debug' | 'info' | 'warn' | 'error' };
  policy: PolicySettings;
  /** Budgets, pools, rate limits and model policies declared in the file (read-only at runtime). */
  rules: ConfigRules;
  /** Routing rules, in evaluation order (docs/routing-rules.md). */
  routingRules: RoutingRule[];
  alerts: AlertsConfig;
  /** Deployments, retries, fallbacks, health and queueing per model route (`routes:`, `routing:`). */
  routing: RoutingConfig;
  /** Prompt-prefix hashing and `cache: auto` rules. */
  cache: CacheSettings;
  /** Anomaly detection: the scheduler in `serve` and `tollgate detect` (docs/anomalies.md). */
  anomalies: AnomalySettings;
  /** The OTLP/HTTP receiver on the gateway's port (docs/telemetry.md). */
  telemetry: {
    enabled: boolean;
    /** Other Tollgate gateways' addresses (this server's own are always known): their calls' GenAI spans make no rows. */
    gatewayAddresses: GatewayAddress[];
  };
  /** Asking providers about background responses and batches nobody came back for (`deferred_usage`; off when undefined). */
  deferredUsage: DeferredUsageSettings | undefined;
  /** Attribution for `tollgate import` (its flags win). */
  import: { user: string | undefined; team: string | undefined };
  /** The file it came from, if any. */
  source: string | undefined;
}

export interface ProviderConfig {
  name: string;
  dialect: Dialect;
  /** Origin plus optional path prefix, without a trailing slash. */
  baseUrl: string;
  apiKey: string | undefined;
  models: string[] | undefined;
  headers: Record<string, string>;
  catalog: string | undefined;
  /** Client dialects this provider also serves through translation (`translate_from`). */
  translateFrom?: Dialect[];
}

export interface AlertsConfig {
  webhooks: WebhookConfig[];
  /** Base URL of the signed approve/deny links in increase alerts. */
  publicUrl: string | undefined;
  /** Signs approve/deny links; links go out only when it and `publicUrl` are set. */
  signingSecret: string | undefined;
  /** How long an undelivered alert is retried from the outbox. */
  retryHours: number;
  /** How long a webhook has to answer a post before the try counts as failed. */
  timeoutSeconds: number;
}

export interface WebhookConfig {
  url: string;
  /** Event types or globs; every event when absent. */
  events: string[] | undefined;
  headers: Record<string, string>;
}

/** Anthropic fast mode's multiplier for models matching a glob, as exact decimal text. */
export interface FastModePremium {
  model: string;
  multiplier: string;
}

/** USD per million tokens, as exact decimal text. */
export interface PriceOverride {
  model: string;
  provider: string | undefined;
  input: string;
  cacheRead: string | undefined;
  cacheWrite: string | undefined;
  cacheWrite1h: string | undefined;
  output: string;
  /** The whole request at these prices once its input, cache reads and writes included, is above `aboveTokens` (`long_context`). */
  longContext?: LongContextPrices | undefined;
}

/** An override's long-context tier: the same prices as its override, and the boundary. */
export interface LongContextPrices {
  aboveTokens: number;
  input: string;
  cacheRead: string | undefined;
  cacheWrite: string | undefined;
  cacheWrite1h: string | undefined;
  output: string;
}

export const DEFAULT_PROVIDERS: readonly ProviderConfig[] = [
  { name: 'openai', dialect: 'openai', baseUrl: 'https://api.openai.com', apiKey: undefined, models: undefined, headers: {}, catalog: undefined },
  { name: 'anthropic', dialect: 'anthropic', baseUrl: 'https://api.anthropic.com', apiKey: undefined, models: undefined, headers: {}, catalog: undefined },
  { name: 'gemini', dialect: 'gemini', baseUrl: 'https://generativelanguage.googleapis.com', apiKey: undefined, models: undefined, headers: {}, catalog: undefined },
];

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8790,
  sqlite: './.tollgate/tollgate.db',
  maxBodyMb: 32,
  // OpenAI's largest file (a Batch input file is at most 200 MB).
  maxUploadMb: 512,
  connectTimeoutMs: 10_000,
  // LLM first bytes can take minutes on long prompts and reasoning models.
  firstByteTimeoutMs: 600_000,
  idleTimeoutMs: 600_000,
  // Node's own default: a client has 5 minutes to send its whole request.
  requestTimeoutMs: 300_000,
  shutdownDelayMs: 0,
  // Four times the 1,000 open streams the benchmark holds (server/http-server.ts).
  maxConnections: 4000,
  // Background responses and batches are asked after for 3 days.
  deferredMaxAgeMs: 72 * 3_600_000,
} as const;

/** The `storage` section as the file gives it (validated by the schema). */
export interface StorageSection {
  sqlite?: string | undefined;
  postgres?: string | undefined;
  spool_dir?: string | undefined;
  writer?: 'inline' | 'thread' | undefined;
  connect_timeout_ms?: number | undefined;
  query_timeout_ms?: number | undefined;
  report_timeout_ms?: number | undefined;
}

const URL_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;

/**
 * What is wrong with a --db value, if anything: it is a SQLite file path or a postgres:// URL.
 * Any other URL would otherwise be taken for a path (a folder named `mysql:`), and the ledger
 * written there would look like a migration that worked.
 */
export function dbFlagProblem(db: string): string | undefined {
  if (db.trim() === '') return 'must not be empty';
  const scheme = URL_SCHEME.exec(db)?.[1];
  if (scheme === undefined || POSTGRES_URL.test(db)) return undefined;
  return `"${scheme}://…" is not a ledger Tollgate can use: give a SQLite file path or a postgres:// (postgresql://) URL`;
}

/**
 * Where the ledger lives: `db` (the --db flag: a SQLite path, or a postgres:// URL) wins over the
 * file, then the file's section, then the default SQLite file. Here rather than in load.ts so that
 * a command that needs only this (an import without --config) does not load the YAML parser and the schema.
 */
export function storageConfig(f: StorageSection | undefined, db: string | undefined): Config['storage'] {
  const postgres = db !== undefined && POSTGRES_URL.test(db) ? db : db === undefined ? f?.postgres : undefined;
  const sqlite = postgres !== undefined ? undefined : (db ?? f?.sqlite ?? DEFAULTS.sqlite);
  const writer = f?.writer === 'thread' && sqlite !== ':memory:' ? 'thread' : 'inline';
  return sqlite !== undefined
    ? { kind: 'sqlite', path: sqlite === ':memory:' ? sqlite : resolve(sqlite), spoolDir: resolve(f?.spool_dir ?? (sqlite === ':memory:' ? '.tollgate/spool' : join(dirname(resolve(sqlite)), 'spool'))), writer }
    : { kind: 'postgres', url: postgres!, timeouts: postgresTimeouts(f), spoolDir: resolve(f?.spool_dir ?? '.tollgate/spool'), writer };
}

function postgresTimeouts(f: StorageSection | undefined): Required<PostgresTimeouts> {
  return {
    connectTimeoutMs: f?.connect_timeout_ms ?? POSTGRES_TIMEOUTS.connectTimeoutMs,
    queryTimeoutMs: f?.query_timeout_ms ?? POSTGRES_TIMEOUTS.queryTimeoutMs,
    reportTimeoutMs: f?.report_timeout_ms ?? POSTGRES_TIMEOUTS.reportTimeoutMs,
  };
}
