import { Redis } from 'ioredis';
import type { MarkKind } from '../health.js';
import type { HealthMark, HealthStore, RateMark } from './port.js';
import { decodeRateMark, encodeRateMark, rateMarkUntil } from './rate-mark.js';

// Keeps the later of two marks, and lets the key expire with it.
const MARK = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local t = tonumber(string.match(cur, ':(%d+)$'))
  if t and t > tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2], 'PX', ARGV[3])
return 1`;

// Keeps the later of two rate-limit views (by the time their headers were read).
const RATES = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local t = tonumber(string.match(cur, '^(%d+)|'))
  if t and t >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

type Scripted = Redis & {
  tgHealthMark(key: string, kind: string, until: string, ttl: string): Promise<number>;
  tgRateMark(key: string, at: string, value: string, ttl: string): Promise<number>;
};

/**
 * Health marks shared by replicas: one key per deployment, `kind:until`, expiring when the
 * mark does; and one `rate:` key per deployment with the latest rate-limit view, expiring
 * after its last reset. Commands fail fast while Redis is down (no offline queue); the gateway then
 * keeps its own view.
 */
export class RedisHealthStore implements HealthStore {
  private readonly redis: Scripted;
  private readonly prefix: string;

  constructor(url: string, prefix = '{tg}:health:') {
    this.prefix = prefix;
    const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 1000, connectTimeout: 2000, retryStrategy: (n) => Math.min(50 * 2 ** n, 2000) });
    redis.on('error', () => undefined);
    redis.defineCommand('tgHealthMark', { numberOfKeys: 1, lua: MARK });
    redis.defineCommand('tgRateMark', { numberOfKeys: 1, lua: RATES });
    this.redis = redis as Scripted;
  }

  async mark(m: HealthMark): Promise<void> {
    const ttl = Math.max(1, m.until - Date.now());
    await this.ready();
    await this.redis.tgHealthMark(this.prefix + m.deployment, m.kind, String(Math.round(m.until)), String(Math.round(ttl)));
  }

  async clear(deployment: string): Promise<void> {
    await this.ready();
    await this.redis.del(this.prefix + deployment);
  }

  async read(deployments: readonly string[], now: number): Promise<HealthMark[]> {
    if (deployments.length === 0) return [];
    await this.ready();
    const values = await this.redis.mget(...deployments.map((d) => this.prefix + d));
    const out: HealthMark[] = [];
    values.forEach((v, i) => {
      const m = v === null ? null : /^(cooldown|open|ejected):(\d+)$/.exec(v);
      if (m && Number(m[2]) > now) out.push({ deployment: deployments[i]!, kind: m[1] as MarkKind, until: Number(m[2]) });
    });
    return out;
  }

  async shareRates(marks: readonly RateMark[], now: number): Promise<void> {
    const live = marks.filter((m) => rateMarkUntil(m) > now);
    if (live.length === 0) return;
    await this.ready();
    // Sent back to back on the one connection: a single round trip's wait.
    await Promise.all(live.map((m) => this.redis.tgRateMark(this.prefix + 'rate:' + m.deployment, String(Math.round(m.at)), encodeRateMark(m), String(Math.max(1, Math.round(rateMarkUntil(m) - now))))));
  }

  async readRates(deployments: readonly string[], now: number): Promise<RateMark[]> {
    if (deployments.length === 0) return [];
    await this.ready();
    const values = await this.redis.mget(...deployments.map((d) => this.prefix + 'rate:' + d));
    const out: RateMark[] = [];
    values.forEach((v, i) => {
      const m = v === null ? undefined : decodeRateMark(deployments[i]!, v);
      if (m && rateMarkUntil(m) > now) out.push(m);
    });
    return out;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** The first commands wait briefly for the first connection instead of failing at once. */
  private async ready(): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((ok) => {
      // Taken off on the timeout too: while Redis is down every refresh tick waits here.
      const done = () => {
        clearTimeout(t);
        this.redis.off('ready', done);
        ok();
      };
      const t = setTimeout(done, 1000);
      this.redis.once('ready', done);
    });
  }
}
