import { type Redis, ReplyError } from 'ioredis';
import { SetupError } from '../../core/errors.js';

/** The URL names a database this Redis does not have: a setup mistake, not an outage. */
export class RedisDatabaseRefused extends SetupError {
  override readonly name = 'RedisDatabaseRefused';
}

/**
 * ioredis selects the URL's database on each connection, and when Redis refuses (an index
 * past its `databases`, 16 by default, or any index but 0 on a cluster) it only emits an
 * 'error' and goes on in database 0, among keys that are not ours. This remembers the refusal
 * until the next connection, so that callers can refuse to run commands there.
 */
export class DatabaseWatch {
  /** Why the current connection is not in the URL's database; undefined when it is. */
  refused: RedisDatabaseRefused | undefined;
  /** Settles at the first answer: ready, refused, or a connection error (an unreachable Redis). */
  readonly firstAnswer: Promise<void>;

  constructor(redis: Redis, waitMs: number) {
    const db = redis.options.db ?? 0;
    const where = `${redis.options.host ?? '127.0.0.1'}:${redis.options.port ?? 6379}`;
    let answered = () => undefined as void;
    this.firstAnswer = new Promise<void>((ok) => {
      const timer = setTimeout(ok, waitMs);
      timer.unref();
      answered = () => {
        clearTimeout(timer);
        ok();
      };
    });
    redis.on('connect', () => (this.refused = undefined));
    redis.on('ready', () => answered());
    redis.on('end', () => answered());
    redis.on('error', (err: Error) => {
      if (err instanceof ReplyError && /\bDB index\b|\bSELECT\b/i.test(err.message)) {
        this.refused = new RedisDatabaseRefused(
          `redis: the Redis at ${where} refuses database ${db} (${err.message}). A Redis has databases 0 to 15 unless its "databases" setting says more (a cluster only 0): fix the number after the port in the URL.`,
        );
        // 'ready' follows; closing before it leaves ioredis's timers holding the process for seconds.
        return;
      }
      answered();
    });
  }
}
