import { type Usage, zeroUsage } from '../../core/usage.js';
import type { SseEvent } from '../../sse/parser.js';
import { type JsonObject, asObject, parseJson, peekType } from '../shared/json.js';
import { sourceOf } from '../shared/metered.js';
import { type StreamReader, everyEventOpensWith } from '../shared/taps.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { Metered, UpstreamErrorInfo } from '../types.js';

/**
 * What an answer of an API billed by its own unit as well as by tokens made (images, audio):
 * its usage when it reported one. Without one it was billed all the same, by a unit the
 * ledger does not price (DALL·E's images, Whisper's minutes), so the row is unpriced, not free.
 */
export function meteredOrUnpriced(usage: Usage | undefined, sawEnd: boolean, error: UpstreamErrorInfo | undefined): Metered {
  const m: Metered = { usage: usage ?? zeroUsage(), usageSource: sourceOf(usage !== undefined, sawEnd), servedModel: undefined, error, sawEnd };
  if (usage === undefined && sawEnd && error === undefined) m.billedWithoutUsage = true;
  return m;
}

/**
 * Reads a stream whose usage is in its closing event (`image_generation.completed`,
 * `transcript.text.done`…; the last one seen wins), past delta events it never parses
 * (base64 images and audio: most of the bytes). `read` maps the closing event's usage.
 */
export class UsageAtEndReader implements StreamReader {
  private usage: JsonObject | undefined;
  private endedWith: string | undefined;
  private error: UpstreamErrorInfo | undefined;
  private readonly endEvents: ReadonlySet<string>;
  private readonly deltaOpenings: readonly string[];
  private readonly read: (usage: JsonObject, endedWith: string) => Usage | undefined;

  constructor(endEvents: ReadonlySet<string>, deltaOpenings: readonly string[], read: (usage: JsonObject, endedWith: string) => Usage | undefined) {
    this.endEvents = endEvents;
    this.deltaOpenings = deltaOpenings;
    this.read = read;
  }

  onEvent(event: SseEvent): void {
    const type = event.event ?? peekType(event.data);
    if (type !== undefined && this.endEvents.has(type)) {
      this.endedWith = type;
      const usage = asObject(asObject(parseJson(event.data))?.usage);
      if (usage !== undefined) this.usage = usage;
    } else if (type === 'error') this.error = errorFromValue(parseJson(event.data)) ?? { type: 'error', message: event.data };
  }

  ignorable(text: string): boolean {
    return everyEventOpensWith(text, this.deltaOpenings);
  }

  result(): Metered {
    const ended = this.endedWith !== undefined;
    return meteredOrUnpriced(this.usage && this.read(this.usage, this.endedWith!), ended, this.error);
  }
}
