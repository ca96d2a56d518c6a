/** Test support: runs upstream fixtures through a translation, as the gateway does. Not used by the gateway itself. */
import { readFileSync } from 'node:fs';
import { adapterFor, lookupRoute } from '../providers/index.js';
import type { Metered } from '../providers/types.js';
import { parseSse } from '../sse/parser.js';
import { type Target, type Translation, planTranslation } from './index.js';
import { translateResponse } from './response-tap.js';

export function providerFixture(dialect: 'openai' | 'anthropic', name: string): Buffer {
  return readFileSync(new URL(`../providers/${dialect}/fixtures/${name}`, import.meta.url));
}

export const TO_OPENAI = { provider: 'local', dialect: 'openai' } as const;
export const TO_ANTHROPIC = { provider: 'claude', dialect: 'anthropic' } as const;

/** A translation for a client request, as the gateway plans it. */
export function plan(clientApi: 'anthropic.messages' | 'openai.chat', body: Record<string, unknown>, target: Target = clientApi === 'anthropic.messages' ? TO_OPENAI : TO_ANTHROPIC): Translation {
  return planTranslation({ clientApi, body, target, openaiNative: false, requestId: 'req_test', now: 1795000000 });
}

export interface Translated {
  status: number;
  /** The client's content type. */
  contentType: string;
  text: string;
  metered: Metered;
  /** Each `emit`, in order. */
  emits: string[];
}

/** Feeds upstream `chunks` through the translating tap for `t`, with the upstream's own meter beside it. */
export function translateChunks(t: Translation, chunks: readonly Buffer[], o: { status?: number; contentType: string; stream: boolean; complete?: boolean }): Translated {
  const found = lookupRoute('POST', t.upstreamPath);
  if (found.kind !== 'match') throw new Error('no route');
  const status = o.status ?? 200;
  const meter = adapterFor(found.route.dialect).createTap(found.route, { status, contentType: o.contentType, stream: o.stream, injectedStreamUsage: false, requestedModel: 'requested' });
  const r = translateResponse(meter, t.response, { status, contentType: o.contentType, stream: o.stream });
  const emits: string[] = [];
  const emit = (b: Buffer) => void emits.push(b.toString('utf8'));
  for (const c of chunks) r.tap.push(c, emit);
  const metered = r.tap.finish(o.complete ?? true, emit);
  const head = r.head();
  return { status: head.status, contentType: head.contentType, text: emits.join(''), metered, emits };
}

/** The parsed events of an SSE text: `[event name or undefined, data]`. */
export function events(text: string): { event: string | undefined; data: unknown }[] {
  return parseSse(Buffer.from(text)).flatMap(({ event }) => (event === null ? [] : [{ event: event.event, data: event.data === '[DONE]' ? '[DONE]' : (JSON.parse(event.data) as unknown) }]));
}
