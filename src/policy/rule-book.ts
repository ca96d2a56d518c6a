import { type Logger, RepeatedFailure } from '../core/logger.js';
import type { PolicyStore } from '../storage/ports.js';
import { type Budget, type ModelPolicy, type RateLimit, type RuleSet, emptyRuleSet } from './rules.js';

/** Rules declared in the config file. */
export interface ConfigRules {
  budgets: Budget[];
  rateLimits: RateLimit[];
  modelPolicies: ModelPolicy[];
}

/**
 * The rules in force: the config file's plus those made with the CLI and admin API,
 * re-read every `refreshMs` so that every replica follows a change within that time.
 * The gateway reads `current()` without I/O. A config rule wins over a stored one with
 * the same id.
 */
export class RuleBook {
  private snapshot: RuleSet = emptyRuleSet();
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private readonly store: PolicyStore;
  private readonly config: ConfigRules;
  /** Every 2 s while storage is down: logged at most every 30 s. */
  private readonly reloads: RepeatedFailure;
  private readonly refreshMs: number;
  /** Runs after each refresh (the expiry sweep for increases). */
  private readonly afterRefresh: () => Promise<void>;

  constructor(store: PolicyStore, config: ConfigRules, log: Logger, opts: { refreshMs?: number; afterRefresh?: () => Promise<void> } = {}) {
    this.store = store;
    this.config = config;
    this.reloads = new RepeatedFailure(log);
    this.refreshMs = opts.refreshMs ?? 2000;
    this.afterRefresh = opts.afterRefresh ?? (() => Promise.resolve());
    this.snapshot = { ...emptyRuleSet(), ...config };
  }

  current(): RuleSet {
    return this.snapshot;
  }

  /** Loads now; the returned promise settles when the new rules are in force. */
  refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  start(): Promise<void> {
    this.timer = setInterval(() => {
      this.refresh().then(
        () => this.reloads.recovered('budgets and policies reload again'),
        (err: unknown) => this.reloads.failed((log, unlogged) => log.warn('could not reload budgets and policies; keeping the last ones', { err: String(err), ...(unlogged > 0 ? { unlogged_since_last: unlogged } : {}) })),
      );
    }, this.refreshMs);
    this.timer.unref();
    return this.refresh();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async load(): Promise<void> {
    const [budgets, rateLimits, modelPolicies, approved, pending] = await Promise.all([
      this.store.listBudgets(),
      this.store.listRateLimits(),
      this.store.listModelPolicies(),
      this.store.listIncreases({ status: 'approved' }),
      this.store.listIncreases({ status: 'pending' }),
    ]);
    const merge = <T extends { id: string }>(fromConfig: T[], stored: T[]) => {
      const ids = new Set(fromConfig.map((r) => r.id));
      return [...fromConfig, ...stored.filter((r) => !ids.has(r.id))];
    };
    this.snapshot = {
      budgets: merge(this.config.budgets, budgets),
      rateLimits: merge(this.config.rateLimits, rateLimits),
      modelPolicies: merge(this.config.modelPolicies, modelPolicies),
      increases: [...approved, ...pending],
    };
    await this.afterRefresh();
  }

  isConfigRule(id: string): boolean {
    return [...this.config.budgets, ...this.config.rateLimits, ...this.config.modelPolicies].some((r) => r.id === id);
  }
}
