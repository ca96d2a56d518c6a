import { GatewayError } from '../core/errors.js';
import type { Picos } from '../core/money.js';
import type { PriceFn } from '../metering/build-row.js';
import type { AdmitRequest, Served } from './admission.js';
import { estimateCost, estimateRequest } from './estimate.js';
import type { PolicySettings } from './settings.js';

/** Why a budget's downgrade target did not serve a request (docs/budgets.md#downgrades). */
export type DowngradeSkipReason = 'not_allowed' | 'not_served' | 'unpriced' | 'not_cheaper';

export interface DowngradeSkip {
  to: string;
  reason: DowngradeSkipReason;
  /** For `unpriced`: the model without a price, and the provider it was priced at. */
  unpriced?: { model: string; provider: string };
}

export interface DowngradeDeps {
  price: PriceFn;
  settings: PolicySettings;
  /** Model policy lets the caller use the model (as routing rules ask). */
  allowed(model: string): boolean;
}

export const DOWNGRADE_SKIPPED_HEADER = 'x-tollgate-downgrade-skipped';

/**
 * Decides, once per target and request, whether a budget's downgrade applies. It does when the
 * target passes the test routing rules put their targets to (model policy allows it, and some
 * provider serves it for this request: `req.serves`) and the request's estimate, priced at the
 * provider that would serve each, costs less under the target than under the model asked for.
 * An unpriced model on either side cannot be shown to be cheaper. A price is no sign that a provider
 * serves the target: an override without a provider prices it everywhere, so `req.serves` (the
 * provider table's `target`) does not count a provider without `models` for another vendor's model.
 */
export class DowngradeJudge<P extends Served> {
  /** The first target that did not apply, and why. */
  skipped: DowngradeSkip | null = null;
  private readonly judged = new Map<string, P | DowngradeSkip>();
  private fromCost: Picos | null | undefined;

  private readonly req: AdmitRequest<P>;
  private readonly from: { model: string; served: Served };
  private readonly d: DowngradeDeps;
  private readonly at: number;

  constructor(req: AdmitRequest<P>, from: { model: string; served: Served }, d: DowngradeDeps, at: number) {
    this.req = req;
    this.from = from;
    this.d = d;
    this.at = at;
  }

  /** Where `to` would serve the request, or undefined when the downgrade does not apply to it. */
  served(to: string): P | undefined {
    let got = this.judged.get(to);
    if (got === undefined) this.judged.set(to, (got = this.judge(to)));
    if ('reason' in got) {
      this.skipped ??= got;
      return undefined;
    }
    return got;
  }

  readonly usable = (to: string): boolean => this.served(to) !== undefined;

  /** Response headers saying a downgrade was skipped, when one was and the request kept its model. */
  headers(model: string): Record<string, string> {
    return this.skipped && model === this.from.model ? { [DOWNGRADE_SKIPPED_HEADER]: `${this.skipped.to}; reason=${this.skipped.reason}` } : {};
  }

  /** A budget refusal that says which downgrade did not apply, and why. */
  refusal(err: GatewayError): GatewayError {
    const s = this.skipped;
    if (!s || err.code !== 'budget_exceeded') return err;
    const why = explain(s, this.from.model);
    return new GatewayError(err.code, `${err.message} (Its downgrade to ${s.to} does not apply to this request: ${why}.)`, {
      cause: err.cause,
      expose: err.expose,
      shape: err.shape,
      headers: { ...err.headers, [DOWNGRADE_SKIPPED_HEADER]: `${s.to}; reason=${s.reason}` },
      details: { ...err.details, downgrade_skipped: { to: s.to, reason: s.reason } },
    });
  }

  private judge(to: string): P | DowngradeSkip {
    if (!this.d.allowed(to)) return { to, reason: 'not_allowed' };
    let served: P;
    try {
      if (this.req.serves && !this.req.serves(to)) return { to, reason: 'not_served' };
      served = this.req.resolve(to);
    } catch {
      return { to, reason: 'not_served' };
    }
    if (this.fromCost === undefined) this.fromCost = this.cost(this.from.model, this.from.served);
    if (this.fromCost === null) return { to, reason: 'unpriced', unpriced: { model: this.from.model, provider: this.from.served.provider } };
    const cost = this.cost(to, served);
    if (cost === null) return { to, reason: 'unpriced', unpriced: { model: to, provider: served.provider } };
    return cost < this.fromCost ? served : { to, reason: 'not_cheaper' };
  }

  private cost(model: string, served: Served): Picos | null {
    const { req, d } = this;
    const s = d.settings;
    const estimate = estimateRequest(req, model, s);
    return estimateCost(estimate, { price: d.price, provider: served.provider, catalogProvider: served.catalogProvider, model, at: new Date(this.at), modifiers: req.modifiers });
  }
}

function explain(s: DowngradeSkip, from: string): string {
  switch (s.reason) {
    case 'not_allowed':
      return 'model policy does not let this caller use it';
    case 'not_served':
      return 'no provider serves it for this request (its API, or a translation that can take it)';
    case 'unpriced':
      return `${s.unpriced!.model} has no price at provider "${s.unpriced!.provider}", so it cannot be shown to be cheaper`;
    case 'not_cheaper':
      return `it would cost no less than ${from}`;
  }
}
