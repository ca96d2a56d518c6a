import { asObject, parseJson } from '../shared/json.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { Metered } from '../types.js';
import { countFunctionCalls, meterResponse } from './response.js';

/** Reads a whole generateContent response. */
export function readGeminiBody(text: string | undefined, complete: boolean): Metered {
  const value = text === undefined ? undefined : parseJson(text);
  const response = asObject(value);
  return meterResponse(response, {
    toolCalls: countFunctionCalls(response),
    final: true,
    sawEnd: complete,
    error: errorFromValue(value),
  });
}
