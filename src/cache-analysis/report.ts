import { countText, spanText } from '../core/count-text.js';
import type { CacheRow } from '../core/ledger-row.js';
import { pricedAtTier } from '../core/service-tier.js';
import { type Picos, displayUsd, formatUsd, usdColumn } from '../core/money.js';
import type { PriceRequest } from '../metering/build-row.js';
import type { LedgerStore, TimeFilter } from '../storage/ports.js';
import { CacheAnalyser, type CacheGroupBy, type CacheReport, type Finding } from './analyse.js';
import type { RowPricer } from './price-moves.js';

/**
 * Reads the window's rows in time order through the analyser (one pass, over the columns it reads). `progress` is told, after
 * each batch, how far into the window (ms from its start) the rows have reached.
 */
export async function runCacheReport(
  ledger: Pick<LedgerStore, 'cacheRows' | 'firstTs'>,
  q: TimeFilter & { by: CacheGroupBy; price: RowPricer; now?: number; progress?: (doneMs: number, totalMs: number) => void },
): Promise<CacheReport> {
  const now = q.now ?? Date.now();
  const until = q.until ?? now;
  // A start in the future (a typo'd year) would report an empty window that ends before it starts.
  if (q.since !== undefined && q.since >= until) throw new RangeError(`the window starts at ${new Date(q.since).toISOString()}, not before its end (${q.until === undefined ? 'now' : new Date(until).toISOString()})`);
  const measuredSince = await ledger.firstTs();
  // The window ends now when no end is given, for the analyser too: ended at its last row, a quiet
  // stretch shrank the window the weekly figures scale from, and writes whose TTL ran out in it counted as open.
  const a = new CacheAnalyser({ ...q, until, measuredSince, now });
  const from = Math.max(q.since ?? measuredSince ?? 0, measuredSince ?? 0);
  const total = until - from;
  for await (const batch of ledger.cacheRows({ since: q.since, until })) {
    for (const row of batch) a.add(row);
    if (q.progress && batch.length > 0) q.progress(Math.min(total, batch[batch.length - 1]!.ts - from), total);
  }
  return a.finish();
}

/** Prices rows with the gateway's own pricer, at their own service tier; `catalogOf` maps a configured provider name to its catalog id. */
export function rowPricer(price: (q: PriceRequest) => { costPicos: Picos | null }, catalogOf: (provider: string) => string | undefined): RowPricer {
  return (row: CacheRow, usage) => price({ provider: row.provider, catalogProvider: catalogOf(row.provider), model: row.model, at: new Date(row.ts), ...pricedAtTier(usage, row.serviceTier) }).costPicos;
}

const pct = (x: number) => (x * 100).toFixed(1) + '%';

/** JSON with money as exact USD strings (picos inside, formatted at the edge). */
export function cacheReportJson(r: CacheReport): unknown {
  return {
    by: r.by,
    since: r.since === undefined ? null : new Date(r.since).toISOString(),
    until: r.until === undefined ? null : new Date(r.until).toISOString(),
    window_hours: Number((r.windowMs / 3_600_000).toFixed(3)),
    ledger_began: r.ledgerBegan === undefined ? null : new Date(r.ledgerBegan).toISOString(),
    findings: r.findings.map((f) => ({
      kind: f.kind,
      cause: f.cause ?? null,
      [r.by]: f.group,
      model: f.model,
      models: f.models ?? 1,
      saving_usd_per_week: formatUsd(f.weeklyPicos),
      saving_usd_in_window: formatUsd(f.windowPicos),
      title: f.title,
      fix: f.fix,
      evidence: {
        request_ids: f.evidence.requestIds,
        count: f.evidence.count,
        out_of: f.evidence.outOf,
        first_differing_block: f.evidence.firstDifferingBlock ?? null,
        block: f.evidence.blockLabel ?? null,
        ...(f.evidence.tokens === undefined ? {} : { tokens: f.evidence.tokens }),
        ...(f.evidence.sample === undefined ? {} : { sample: f.evidence.sample }),
        ...(f.evidence.clientVersions === undefined ? {} : { client_versions: f.evidence.clientVersions }),
      },
    })),
    groups: r.groups.map((g) => ({
      [r.by]: g.key,
      requests: g.requests,
      hashed_requests: g.hashed,
      input_tokens: g.inputTokens,
      cache_read_tokens: g.cacheReadTokens,
      cache_write_tokens: g.cacheWriteTokens,
      cost_usd: formatUsd(g.costPicos),
      cache_read_share: round4(g.cacheReadShare),
      repeated_prefix_share: round4(g.repeatedPrefixShare),
      wasted_writes: g.wastedWrites,
      wasted_write_usd: formatUsd(g.wastedWritePicos),
    })),
    cache_auto: r.autoCache.map((c) => ({
      [r.by]: c.group,
      without: { requests: c.without.requests, cache_read_share: round4(c.without.cacheReadShare), cost_per_request_usd: formatUsd(c.without.costPerRequestPicos) },
      with_auto: { requests: c.withAuto.requests, cache_read_share: round4(c.withAuto.cacheReadShare), cost_per_request_usd: formatUsd(c.withAuto.costPerRequestPicos) },
    })),
  };
}

export function renderCacheJson(r: CacheReport): string {
  return JSON.stringify(cacheReportJson(r), null, 2) + '\n';
}

/** Findings ranked by dollars, each with its fix and evidence; then the per-group table. */
export function renderCacheTable(r: CacheReport): string {
  let out = '';
  if (r.ledgerBegan !== undefined && r.until !== undefined) {
    const held = (r.measuredUntil ?? r.until) - r.ledgerBegan;
    const scale = held >= r.windowMs ? `the ${spanText(held)} since` : `${spanText(r.windowMs)}, though the ledger holds less (a shorter span would make a few requests look like a week's habit)`;
    out += `The ledger's first row is from ${new Date(r.ledgerBegan).toISOString().slice(0, 16).replace('T', ' ')} UTC: weekly figures are scaled from ${scale}.\n\n`;
  }
  else if (r.measuredUntil !== undefined && r.until !== undefined) {
    out += `The window runs to ${new Date(r.until).toISOString().slice(0, 16).replace('T', ' ')} UTC, ahead of now: weekly figures are scaled from the ${spanText(r.windowMs)} so far.\n\n`;
  }
  if (r.findings.length === 0) out += 'No prompt-cache findings in this window.\n';
  else {
    out += `Findings (by ${r.by}), largest saving first:\n\n`;
    r.findings.forEach((f, i) => (out += finding(i + 1, f, r.by)));
  }
  const head = [r.by, 'requests', 'hashed', 'input', 'cache read', 'cache write', 'cost', 'cache-read %', 'repeated prefix %', 'wasted writes'];
  const cost = usdColumn(r.groups.map((g) => g.costPicos));
  const wasted = usdColumn(r.groups.filter((g) => g.wastedWrites > 0).map((g) => g.wastedWritePicos));
  const rows = r.groups.map((g) => [g.key, countText(g.requests), countText(g.hashed), countText(g.inputTokens), countText(g.cacheReadTokens), countText(g.cacheWriteTokens), cost(g.costPicos), pct(g.cacheReadShare), g.hashed ? pct(g.repeatedPrefixShare) : '-', g.wastedWrites ? `${g.wastedWrites} (${wasted(g.wastedWritePicos)})` : '0']);
  out += '\n' + table(head, rows);
  if (r.autoCache.length > 0) {
    out += '\ncache: auto, before and after:\n';
    const ah = [r.by, 'requests', 'cache-read %', 'cost/request', 'auto requests', 'auto cache-read %', 'auto cost/request'];
    const micro = (p: bigint) => '$' + formatUsd(p, 6);
    out += table(ah, r.autoCache.map((c) => [c.group, countText(c.without.requests), pct(c.without.cacheReadShare), micro(c.without.costPerRequestPicos), countText(c.withAuto.requests), pct(c.withAuto.cacheReadShare), micro(c.withAuto.costPerRequestPicos)]));
  }
  return out;
}

function finding(n: number, f: Finding, by: string): string {
  const e = f.evidence;
  const where = e.firstDifferingBlock === undefined ? '' : `; first differing block: ${e.blockLabel}`;
  const sample = e.sample === undefined ? '' : `\n     block text: ${JSON.stringify(e.sample.slice(0, 120))}`;
  const versions = e.clientVersions === undefined ? '' : `\n     by client version: ${e.clientVersions.map((v) => `${v.version} ${v.drift} of ${v.pairs} drifted`).join('; ')}`;
  return (
    `${n}. [${f.kind}${f.cause ? `: ${f.cause}` : ''}] ${by} ${f.group} (${f.models ? `mostly ${f.model}, of ${f.models} models` : f.model}): ${f.title}.\n` +
    `   Fix: ${f.fix}; save about ${displayUsd(f.weeklyPicos)} a week.\n` +
    `   Evidence: ${e.count} of ${e.outOf}${where}; e.g. ${e.requestIds.join(', ')}${versions}${sample}\n\n`
  );
}

function table(head: string[], rows: string[][]): string {
  const all = [head, ...rows];
  const widths = head.map((_, c) => Math.max(...all.map((row) => (row[c] ?? '').length)));
  return all.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n') + '\n';
}

function round4(x: number): number {
  return Number(x.toFixed(4));
}
