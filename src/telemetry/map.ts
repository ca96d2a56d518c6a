import type { TelemetryPoint } from '../storage/ports.js';
import { claudeCodeCall, isApiRequest } from './claude-code-events.js';
import { isUsageMetric, usagePoint } from './claude-code-metrics.js';
import { codexCall, isCodexCompletion } from './codex-events.js';
import type { Decoded } from './decode.js';
import { genAiCall, isGenAiCall } from './genai-spans.js';
import type { SpanItem } from './otlp-model.js';
import type { TelemetryCall } from './telemetry-row.js';

/** What one OTLP request yields: ledger calls, cross-check points, and what was rejected and why. */
export interface Mapped {
  calls: TelemetryCall[];
  points: TelemetryPoint[];
  /** Items Tollgate would have used but could not (records of other kinds are ignored, not rejected). */
  rejected: number;
  reasons: string[];
  /** GenAI call spans left out because the gateway records those calls itself. */
  viaGateway: number;
}

export interface MapOptions {
  /** Whether a span's call went through a Tollgate gateway (see via-gateway.ts). */
  viaGateway?: (s: SpanItem) => boolean;
}

/** Routes each item to its signal's mapper. Pure. */
export function mapItems(d: Decoded, o: MapOptions = {}): Mapped {
  const out: Mapped = { calls: [], points: [], rejected: 0, reasons: [], viaGateway: 0 };
  const reject = (reason: string) => {
    out.rejected++;
    if (!out.reasons.includes(reason)) out.reasons.push(reason);
  };
  switch (d.signal) {
    case 'logs':
      for (const item of d.items) {
        const c = isApiRequest(item) ? claudeCodeCall(item) : isCodexCompletion(item) ? codexCall(item) : undefined;
        if (c === undefined) continue;
        if ('reject' in c) reject(c.reject);
        else out.calls.push(c);
      }
      break;
    case 'traces':
      for (const item of d.items) {
        if (!isGenAiCall(item)) continue;
        // The gateway's own row is the better record of that call (attempts, budgets, prefix).
        if (o.viaGateway?.(item)) {
          out.viaGateway++;
          continue;
        }
        const c = genAiCall(item);
        if ('reject' in c) reject(c.reject);
        else out.calls.push(c);
      }
      break;
    case 'metrics':
      for (const item of d.items) {
        if (!isUsageMetric(item)) continue;
        const p = usagePoint(item);
        if ('reject' in p) reject(p.reject);
        else out.points.push(p);
      }
      break;
  }
  return out;
}
