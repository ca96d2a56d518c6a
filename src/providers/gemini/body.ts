import { closingMember } from '../shared/closing-member.js';
import { chunksInclude } from '../shared/taps.js';
import { asObject, parseJson } from '../shared/json.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { Metered } from '../types.js';
import { countFunctionCalls, meterResponse } from './response.js';

/** Reads a whole generateContent (or embedding) response; `tail`, the end of one too large to copy. */
export function readGeminiBody(text: string | undefined, complete: boolean, tail?: Buffer): Metered {
  if (text === undefined && tail !== undefined) return readTail(tail, complete);
  const value = text === undefined ? undefined : parseJson(text);
  const response = asObject(value);
  return meterResponse(response, {
    toolCalls: countFunctionCalls(response),
    final: true,
    sawEnd: complete,
    error: errorFromValue(value),
  });
}

/**
 * A response longer than its tail (generated images come back inline, base64) read from the
 * tail alone: its usage, model and id close it. Only one with no function call, which would be
 * counted from a parse, and only when the tail has the usage and the model; undefined otherwise,
 * and the body is parsed whole.
 */
export function readGeminiTail(tail: Buffer, complete: boolean, body: readonly Buffer[]): Metered | undefined {
  if (chunksInclude(body, '"functionCall"')) return undefined;
  const m = readTail(tail, complete);
  return m.usageSource !== 'none' && m.servedModel !== undefined ? m : undefined;
}

/**
 * A body too large to copy (generated images come back inline, base64): Gemini writes
 * `usageMetadata`, `modelVersion` and `responseId` after the candidates, so the body's last
 * bytes still give them. The function calls before them are not counted.
 */
function readTail(tail: Buffer, complete: boolean): Metered {
  const closing = { usageMetadata: closingMember(tail, 'usageMetadata'), modelVersion: closingMember(tail, 'modelVersion'), responseId: closingMember(tail, 'responseId') };
  return meterResponse(closing, { toolCalls: 0, final: true, sawEnd: complete, error: undefined });
}
