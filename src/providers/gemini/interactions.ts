import { tokensOfChars, zeroUsage } from '../../core/usage.js';
import type { SseEvent } from '../../sse/parser.js';
import { type JsonObject, asObject, asText, parseJson } from '../shared/json.js';
import { sourceOf, withResponseId, withTier } from '../shared/metered.js';
import { DeltaMeter } from '../shared/streamed-text.js';
import type { StreamReader } from '../shared/taps.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { Metered, UpstreamErrorInfo } from '../types.js';
import { modelOf } from './caches.js';
import { fileNameOfUri } from './files.js';
import { interactionUsage } from './usage.js';

/** Meters one Interaction: the created one a non-streamed create answers, or the one the stream's lifecycle events carry. */
function meterInteraction(interaction: JsonObject | undefined, ended: boolean, error: UpstreamErrorInfo | undefined): Metered {
  const usage = asObject(interaction?.usage);
  const m: Metered = {
    usage: usage === undefined ? zeroUsage() : interactionUsage(usage),
    usageSource: sourceOf(usage !== undefined, ended),
    servedModel: modelOf(asText(interaction?.model)),
    error,
    sawEnd: ended,
  };
  return withResponseId(withTier(m, asText(interaction?.service_tier)), asText(interaction?.id));
}

/** What an interaction run in the background (`background: true`) is while still at work: answered so at once, without usage. */
const RUNNING = new Set(['queued', 'in_progress']);

/**
 * A non-streamed create's answer, or a lookup's: the Interaction, or Gemini's error body. One still
 * running is `pending`: its usage is billed once it is seen finished (metering/background-usage.ts).
 */
export function readInteraction(text: string | undefined, complete: boolean): Metered {
  return readInteractionValue(text === undefined ? undefined : parseJson(text), complete);
}

/** readInteraction of a body already parsed. */
export function readInteractionValue(value: unknown, complete: boolean): Metered {
  const interaction = asObject(value);
  const m = meterInteraction(interaction, complete, errorFromValue(value));
  if (complete && m.error === undefined && interaction?.usage === undefined && RUNNING.has(asText(interaction?.status) ?? '')) m.pending = true;
  return m;
}

/** The lifecycle events: the only ones that carry the interaction, its usage or an error. */
const READ = new Set(['interaction.created', 'interaction.completed', 'interaction.status_update', 'error']);

const EVENT_TYPE = /"event_type"\s*:\s*"([^"\\]+)"/;

/**
 * Reads a streamed create (`stream: true`): `interaction.created` names the interaction,
 * `interaction.status_update` may carry a running usage, `interaction.completed` the final one
 * and the stream's end; the step events (most of them) are not parsed.
 */
export class InteractionStreamReader implements StreamReader {
  private interaction: JsonObject | undefined;
  private usage: JsonObject | undefined;
  private id: string | undefined;
  private error: UpstreamErrorInfo | undefined;
  private ended = false;
  private readonly madeObject: ((id: string) => void) | undefined;
  /** The text, thought summaries and call arguments the step deltas streamed (Metered.outputEstimate, for a stream cut before its usage). */
  readonly streamed = new DeltaMeter(/"(?:text|arguments|code)"\s*:\s*"/g);

  /** `madeObject`: see RequestInfo.madeObject (the next hop of a continued call names this one at once). */
  constructor(madeObject?: (id: string) => void) {
    this.madeObject = madeObject;
  }

  onEvent(event: SseEvent): void {
    const type = event.event ?? EVENT_TYPE.exec(event.data.slice(0, 200))?.[1];
    if (type === 'step.delta') this.streamed.bytes += this.streamed.sizeAll(event.data, 0, event.data.length, true);
    if (type === undefined || !READ.has(type)) return;
    const value = asObject(parseJson(event.data));
    if (type === 'error') {
      this.error = errorFromValue(value) ?? { type: 'error', message: event.data };
      this.ended = true;
      return;
    }
    const interaction = asObject(value?.interaction);
    if (interaction !== undefined) this.interaction = { ...this.interaction, ...interaction };
    const usage = asObject(interaction?.usage) ?? asObject(value?.usage);
    if (usage !== undefined) this.usage = usage;
    const id = asText(interaction?.id) ?? asText(value?.interaction_id);
    if (this.id === undefined && id !== undefined) {
      this.id = id;
      this.madeObject?.(id);
    }
    if (type === 'interaction.completed') this.ended = true;
  }

  result(): Metered {
    const m = meterInteraction({ ...this.interaction, id: this.id, usage: this.usage }, this.ended, this.error);
    if (!this.ended && this.streamed.bytes > 0) m.outputEstimate = tokensOfChars(this.streamed.bytes);
    return m;
  }
}

const URI_NEEDLES = [Buffer.from('"uri"'), Buffer.from('\\u')];

/** Whether a create's bytes can name a file (a `uri` member, spelt as written or with `\u` escapes); undefined bytes: maybe. */
export function mayNameInteractionFiles(raw: Buffer | undefined): boolean {
  return raw === undefined || URI_NEEDLES.some((n) => raw.includes(n));
}

/**
 * The uploaded files (`files/{id}`) an Interactions create names: the `uri` of any content in its
 * `input` (a document, image, audio or video, in a turn, a step or a function's result), read
 * wherever it is, as a file missed would go unchecked. A web or Cloud Storage URI is no file.
 */
export function interactionFiles(json: unknown): string[] {
  const found = new Set<string>();
  const walk = (v: unknown, depth: number): void => {
    if (depth > 64) return;
    if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        const name = k === 'uri' && typeof x === 'string' ? fileNameOfUri(x) : undefined;
        if (name !== undefined) found.add(name);
        else walk(x, depth + 1);
      }
    }
  };
  walk(asObject(json)?.input, 0);
  return [...found];
}
