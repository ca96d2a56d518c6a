import { closingMember } from '../shared/closing-member.js';
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
 * A body too large to copy (generated images come back inline, base64): Gemini writes
 * `usageMetadata`, `modelVersion` and `responseId` after the candidates, so the body's last
 * bytes still give them. The function calls before them are not counted.
 */
function readTail(tail: Buffer, complete: boolean): Metered {
  const closing = { usageMetadata: closingMember(tail, 'usageMetadata'), modelVersion: closingMember(tail, 'modelVersion'), responseId: closingMember(tail, 'responseId') };
  return meterResponse(closing, { toolCalls: 0, final: true, sawEnd: complete, error: undefined });
}
