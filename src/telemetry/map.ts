import type { TelemetryPoint } from '../storage/ports.js';
import { claudeCodeCall, isApiRequest } from './claude-code-events.js';
import { isUsageMetric, usagePoint } from './claude-code-metrics.js';
import type { Decoded } from './decode.js';
import { genAiCall, isGenAiCall } from './genai-spans.js';
import type { TelemetryCall } from './telemetry-row.js';

/** What one OTLP request yields: ledger calls, cross-check points, and what was rejected and why. */
export interface Mapped {
  calls: TelemetryCall[];
  points: TelemetryPoint[];
  /** Items Tollgate would have used but could not (records of other kinds are ignored, not rejected). */
  rejected: number;
  reasons: string[];
}

/** Routes each item to its signal's mapper. Pure. */
export function mapItems(d: Decoded): Mapped {
  const out: Mapped = { calls: [], points: [], rejected: 0, reasons: [] };
  const reject = (reason: string) => {
    out.rejected++;
    if (!out.reasons.includes(reason)) out.reasons.push(reason);
  };
  switch (d.signal) {
    case 'logs':
      for (const item of d.items) {
        if (!isApiRequest(item)) continue;
        const c = claudeCodeCall(item);
        if ('reject' in c) reject(c.reject);
        else out.calls.push(c);
      }
      break;
    case 'traces':
      for (const item of d.items) {
        if (!isGenAiCall(item)) continue;
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
