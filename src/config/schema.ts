import { z } from 'zod';
import { anomaliesSchema } from './anomalies.js';
import { amount, budgetInput, modelPolicyInput, poolInput, rateLimitInput } from '../policy/rule-input.js';
import { isValidTimeZone } from '../policy/window.js';
import { routeSchema, routingSchema } from './routing-schema.js';
import { routingRuleInput } from '../routing/rules/rule-input.js';
import { parseGatewayAddress } from '../telemetry/via-gateway.js';
import { proxyEntry } from '../identity/client-address.js';
import { errorMessage } from '../core/errors.js';
import { scaled, usd } from '../core/money.js';
import { closest } from '../core/closest.js';
import { DEFAULTS } from './config.js';
import { refuseBaseUrlExtras } from './base-url.js';
import { COMMON_CATALOG_PROVIDERS, knowsCatalogProvider } from '../pricing/index.js';

const glob = z.string().min(1, 'must not be empty');
const decimal = z
  .union([z.number(), z.string()], { error: 'must be a number ≥ 0' })
  .pipe(z.coerce.number({ error: 'must be a number ≥ 0' }))
  .refine((n) => Number.isFinite(n) && n >= 0, 'must be a number ≥ 0');
/** USD per million tokens. The dearest catalog price is a few hundred: far above it is a price in the wrong unit. */
const MAX_PRICE = 100_000;
const price = decimal
  .refine((n) => n <= MAX_PRICE, `must be at most ${MAX_PRICE} (USD per million tokens)`)
  .refine((n) => fitsDecimals(n, 6), 'must have at most 6 decimal places (a picodollar a token)');
/** Whether `n` is exact in `places` decimal places (money is held in integer units). */
function fitsDecimals(n: number, places: number): boolean {
  try {
    scaled(n, places);
    return true;
  } catch {
    return false;
  }
}
const url = (protocols: string[]) =>
  z.string().refine((s) => {
    try {
      return protocols.includes(new URL(s).protocol);
    } catch {
      return false;
    }
  }, `must be a ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL`);

/**
 * A bound on a wait for Postgres, in milliseconds. Below 100 is a value meant in seconds (`30`),
 * which would fail nearly every query; above a day, Node's timers are near their limit, past which
 * a wait would end after 1 ms.
 */
const postgresWait = z
  .number({ error: 'must be a whole number of milliseconds' })
  .int('must be a whole number of milliseconds')
  .min(100, 'must be at least 100 (milliseconds: 30 s is 30000)')
  .max(86_400_000, 'must be at most 86400000 (a day)');

/** A span of the admin token's throttle, in milliseconds: under a second is a value meant in seconds. */
const throttleSpan = z
  .number({ error: 'must be a whole number of milliseconds' })
  .int('must be a whole number of milliseconds')
  .min(1000, 'must be at least 1000 (milliseconds: 60 s is 60000)')
  .max(86_400_000, 'must be at most 86400000 (a day)');

/** A `server.trusted_proxies` entry (src/identity/client-address.ts). */
const trustedProxy = z
  .string({ error: 'must be an IP address or a CIDR range, such as 10.0.0.0/8 or 2001:db8::/32' })
  .refine((s) => proxyEntry(s) !== undefined, 'must be an IP address or a CIDR range, such as 10.0.0.0/8 or 2001:db8::/32');

/** A browser origin as browsers send it (scheme, host, port if not the default; nothing else), or `*`. */
const corsOrigin = z.string().refine((s) => {
  if (s === '*') return true;
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === s;
  } catch {
    return false;
  }
}, 'must be an origin such as https://app.example.com or http://localhost:5173 (scheme, lower-case host and port only: no path or trailing slash), or "*"');

/** A Tollgate gateway's address, as GenAI spans name it (src/telemetry/via-gateway.ts). */
const gatewayAddress = z.string().superRefine((s, ctx) => {
  try {
    parseGatewayAddress(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: errorMessage(err) });
  }
});

const provider = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be lower-case letters, digits, _ and - (start with a letter or digit)'),
  dialect: z.enum(['openai', 'anthropic', 'gemini'], { error: 'must be one of openai, anthropic, gemini' }),
  base_url: url(['http:', 'https:'])
    .refine((s) => !/\/v1(beta)?\/?$/.test(s), 'must not end in /v1 or /v1beta: Tollgate appends the API path (/v1/...) itself')
    .superRefine(refuseBaseUrlExtras),
  api_key: z.string().min(1, 'must not be empty (leave it out to pass client keys through)').optional(),
  models: z.array(glob).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  // A misspelt catalog would price none of the provider's requests, without a word: checked with the rest of the file.
  catalog: z
    .string()
    .min(1)
    .superRefine((id, ctx) => {
      if (knowsCatalogProvider(id)) return;
      const near = closest(id, COMMON_CATALOG_PROVIDERS);
      ctx.addIssue({ code: 'custom', message: `the price catalog has no provider "${id}"${near ? `; did you mean "${near}"?` : ''} (catalog providers include ${COMMON_CATALOG_PROVIDERS.join(', ')}, aws, azure, groq, mistral; docs/pricing.md)` });
    })
    .optional(),
  /** Client dialects this provider also serves, translated (docs/translation.md). */
  translate_from: z.array(z.enum(['openai', 'anthropic', 'gemini'], { error: 'must be one of openai, anthropic' })).optional(),
});

const CACHE_PRICES = ['cache_read', 'cache_write', 'cache_write_1h'] as const;

/** An override's long-context tier: the whole request at these prices once its input, cache reads and writes included, is above `above_tokens`. */
const longContext = z.strictObject({
  above_tokens: z.number({ error: 'must be a whole number of input tokens' }).int('must be a whole number of input tokens').min(1, 'must be at least 1'),
  input: price,
  cache_read: price.optional(),
  cache_write: price.optional(),
  cache_write_1h: price.optional(),
  output: price,
});

const override = z
  .strictObject({
    model: glob,
    provider: z.string().optional(),
    input: price,
    cache_read: price.optional(),
    cache_write: price.optional(),
    cache_write_1h: price.optional(),
    output: price,
    long_context: longContext.optional(),
  })
  .superRefine((o, ctx) => {
    // A cache price the tier left out would stay at its short rate past the boundary; one the override lacks would have no short rate.
    for (const k of CACHE_PRICES) {
      if (!o.long_context || (o[k] === undefined) === (o.long_context[k] === undefined)) continue;
      const message = o[k] === undefined ? `the override has no ${k} of its own; set ${k} on the override too, or leave it out here` : `is required: the override sets ${k}, so its long-context tier must price it too`;
      ctx.addIssue({ code: 'custom', path: ['long_context', k], message });
    }
  });

const webhook = z.strictObject({
  url: url(['http:', 'https:']),
  /** Event types or globs (`budget.*`); all events when absent. */
  events: z.array(glob).optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

const cacheRule = z.strictObject({
  model: glob,
  provider: z.string().min(1).optional(),
  mode: z.enum(['auto', 'off'], { error: 'must be auto or off' }),
  ttl: z.enum(['5m', '1h'], { error: 'must be 5m or 1h' }).optional(),
});

/** Above any tool's fee for one use: more is a typo (or a price per 1,000 uses). */
const MAX_TOOL_FEE = usd('1000');

/** The config file as written (snake_case). Every object is strict: an unknown key is an error. */
export const fileSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().min(1).optional(),
      port: z.number().int().min(0).max(65535, 'must be a port number (0-65535)').optional(),
      max_body_mb: z.number().positive().max(1024).optional(),
      max_upload_mb: z.number().positive().max(8192).optional(),
      unverified_bodies_mb: z.number().positive().max(65_536).optional(),
      unverified_bodies_per_address_mb: z.number().positive().max(65_536).optional(),
      connect_timeout_ms: z.number().int().positive().optional(),
      first_byte_timeout_ms: z.number().int().positive().optional(),
      idle_timeout_ms: z.number().int().positive().optional(),
      request_timeout_ms: z.number().int().positive().optional(),
      shutdown_delay_ms: z.number().int().min(0).max(600_000, 'must be at most 600000 (10 minutes)').optional(),
      max_connections: z
        .number({ error: 'must be a whole number of connections' })
        .int('must be a whole number of connections')
        .min(1, 'must be at least 1')
        .max(1_000_000, 'must be at most 1000000')
        .optional(),
      trusted_proxies: z.array(trustedProxy, { error: 'must be a list of IP addresses or CIDR ranges' }).optional(),
      forwarded_header: z.enum(['x-forwarded-for', 'forwarded'], { error: 'must be x-forwarded-for or forwarded' }).optional(),
      cors: z.strictObject({ origins: z.array(corsOrigin).min(1, 'needs at least one origin (or leave cors out)') }).optional(),
      tls: z.strictObject({ cert: z.string().min(1, 'must name a PEM file'), key: z.string().min(1, 'must name a PEM file') }).optional(),
    })
    .superRefine((s, ctx) => {
      // Less, and a body of the size max_body_mb allows could never be taken from a caller without a Tollgate key.
      // Only between values each well formed: one refused on its own is said once.
      const valid = (n: unknown): n is number => typeof n === 'number' && n > 0 && n <= 65_536;
      const most = s.max_body_mb ?? DEFAULTS.maxBodyMb;
      if (!valid(most) || most > 1024) return;
      const room = s.unverified_bodies_mb;
      if (room !== undefined && !valid(room)) return;
      if (room !== undefined && room < most) {
        ctx.addIssue({ code: 'custom', path: ['unverified_bodies_mb'], message: `must be at least server.max_body_mb (${most}): a body that large from a caller without a Tollgate key could never be taken` });
        return;
      }
      const share = s.unverified_bodies_per_address_mb;
      if (!valid(share)) return;
      const all = room === undefined ? `${4 * most}, 4 × server.max_body_mb by default` : String(room);
      if (share < most) ctx.addIssue({ code: 'custom', path: ['unverified_bodies_per_address_mb'], message: `must be at least server.max_body_mb (${most}): a body that large from one client address could never be taken` });
      else if (share > (room ?? 4 * most)) ctx.addIssue({ code: 'custom', path: ['unverified_bodies_per_address_mb'], message: `must be at most server.unverified_bodies_mb (${all}): one address cannot hold more than the room` });
    })
    .optional(),
  storage: z
    .strictObject({
      sqlite: z.string().min(1).optional(),
      postgres: url(['postgres:', 'postgresql:']).optional(),
      spool_dir: z.string().min(1).optional(),
      writer: z.enum(['inline', 'thread'], { error: 'must be inline or thread' }).optional(),
      connect_timeout_ms: postgresWait.optional(),
      query_timeout_ms: postgresWait.optional(),
      report_timeout_ms: postgresWait.optional(),
    })
    .refine((s) => !(s.sqlite && s.postgres), 'set either sqlite or postgres, not both')
    .optional(),
  redis: url(['redis:', 'rediss:'])
    .refine((s) => !URL.canParse(s) || /^\/?\d*$/.test(new URL(s).pathname), 'the database after the port must be a whole number, as in redis://127.0.0.1:6379/0')
    .optional(),
  redis_namespace: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1 to 40 letters, digits, - or _ (a name for this deployment, such as staging)')
    .optional(),
  auth: z
    .strictObject({
      passthrough: z.enum(['allow', 'deny'], { error: 'must be allow or deny' }).optional(),
      anonymous: z.enum(['allow', 'deny'], { error: 'must be allow or deny' }).optional(),
      stored_objects: z.enum(['team', 'key', 'shared'], { error: 'must be team, key or shared' }).optional(),
      admin_failures: z
        .strictObject({
          limit: z.number({ error: 'must be a whole number of tries' }).int('must be a whole number of tries').min(1, 'must be at least 1').max(10_000, 'must be at most 10000').optional(),
          window_ms: throttleSpan.optional(),
          block_ms: throttleSpan.optional(),
        })
        .optional(),
    })
    .optional(),
  providers: z.array(provider).min(1, 'needs at least one provider').optional(),
  pricing: z
    .strictObject({
      discounts: z.record(z.string(), z.number().min(0).lt(1, 'must be a fraction below 1 (0.05 is 5%)').refine((n) => fitsDecimals(n, 12), 'must have at most 12 decimal places')).optional(),
      overrides: z.array(override).optional(),
      /** Anthropic fast mode's premium on models whose premium Tollgate does not know (pricing/modifiers.ts). */
      fast_mode: z.array(z.strictObject({ model: glob, multiplier: z.number().gt(0, 'must be above 0').max(100, 'must be at most 100').refine((n) => fitsDecimals(n, 12), 'must have at most 12 decimal places') })).optional(),
    })
    .optional(),
  import: z
    .strictObject({
      user: z.string().min(1, 'must not be empty').optional(),
      team: z.string().min(1, 'must not be empty').optional(),
    })
    .optional(),
  log: z.strictObject({ level: z.enum(['debug', 'info', 'warn', 'error'], { error: 'must be one of debug, info, warn, error' }).optional() }).optional(),
  policy: z
    .strictObject({
      time_zone: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as UTC or Europe/Berlin').optional(),
      show_amounts: z.boolean().optional(),
      input_counting: z.enum(['conservative', 'typical'], { error: 'must be conservative or typical' }).optional(),
      default_max_output_tokens: z.number().int().positive().optional(),
      responses_context_tokens: z.number().int().min(0).max(100_000_000, 'must be at most 100000000').optional(),
      server_tool_uses: z.number().int().min(0).max(10_000, 'must be at most 10000').optional(),
      server_tool_result_tokens: z.number().int().min(0).max(10_000_000, 'must be at most 10000000').optional(),
      server_tool_fee_usd: amount.refine((p) => p <= MAX_TOOL_FEE, 'must be at most 1000 (USD for one use of a tool)').optional(),
      gemini_cache_tokens: z.number().int().min(0).max(100_000_000, 'must be at most 100000000').optional(),
      lease_minutes: z.number().positive().max(24 * 60, 'must be at most 1440 (a day)').optional(),
      reconcile_minutes: z.number().min(0.1, 'must be at least 0.1 (6 seconds)').max(24 * 60, 'must be at most 1440 (a day)').optional(),
    })
    .optional(),
  routes: z.array(routeSchema).optional(),
  routing: routingSchema.optional(),
  budgets: z.array(budgetInput).optional(),
  pools: z.array(poolInput).optional(),
  rate_limits: z.array(rateLimitInput).optional(),
  model_policies: z.array(modelPolicyInput).optional(),
  routing_rules: z.array(routingRuleInput).optional(),
  cache_analysis: z
    .strictObject({
      hash_prompts: z.boolean().optional(),
      store_prompts: z.boolean().optional(),
    })
    .optional(),
  cache: z.array(cacheRule).optional(),
  telemetry: z
    .strictObject({
      enabled: z.boolean({ error: 'must be true or false' }).optional(),
      gateway_addresses: z.array(gatewayAddress).optional(),
    })
    .optional(),
  alerts: z
    .strictObject({
      webhooks: z.array(webhook).optional(),
      public_url: url(['http:', 'https:']).optional(),
      signing_secret: z.string().min(16, 'must be at least 16 characters (a long random string)').optional(),
      retry_hours: z.number({ error: 'must be a number of hours' }).positive('must be above 0').max(168, 'must be at most 168 (a week)').optional(),
      timeout_seconds: z.number({ error: 'must be a number of seconds' }).min(1, 'must be at least 1').max(120, 'must be at most 120').optional(),
    })
    .optional(),
  anomalies: anomaliesSchema.optional(),
  deferred_usage: z
    .strictObject({
      poll: z.boolean({ error: 'must be true or false' }).optional(),
      interval_ms: z.number().int('must be a whole number of milliseconds').min(1000, 'must be at least 1000').optional(),
      max_age_hours: z.number().positive('must be above 0').max(720, 'must be at most 720 (OpenAI keeps stored responses 30 days)').optional(),
    })
    .optional(),
});

export type ConfigFile = z.infer<typeof fileSchema>;
