/** The logging port: structured fields, no I/O here. The CLI supplies a JSON-lines implementation. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * One kind of failure that may repeat many times a second (a full disk fails every write):
 * logged at most once per `intervalMs`, each line saying how many were not logged since the
 * last, and once more when it stops. A log on the same full disk would otherwise be the next
 * thing to fill it.
 */
export class RepeatedFailure {
  private lastLogged = -Infinity;
  private unlogged = 0;
  private failing = false;

  private readonly log: Logger;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(log: Logger, intervalMs = 30_000, now: () => number = Date.now) {
    this.log = log;
    this.intervalMs = intervalMs;
    this.now = now;
  }

  /** A failure: logged by `write` (given the count of those not logged) unless one was logged within the interval. */
  failed(write: (log: Logger, unlogged: number) => void): void {
    this.failing = true;
    const t = this.now();
    if (t - this.lastLogged < this.intervalMs) {
      this.unlogged++;
      return;
    }
    write(this.log, this.unlogged);
    this.lastLogged = t;
    this.unlogged = 0;
  }

  /** A success: logs `msg` if failures came before it, with how many went unlogged. */
  recovered(msg: string, fields: Record<string, unknown> = {}): void {
    if (!this.failing) return;
    this.log.info(msg, this.unlogged > 0 ? { ...fields, unlogged_failures: this.unlogged } : fields);
    this.failing = false;
    this.unlogged = 0;
    this.lastLogged = -Infinity;
  }
}
