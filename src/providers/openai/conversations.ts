import { asArray, asObject, parseJson } from '../shared/json.js';
import { nothingMetered } from '../shared/metered.js';
import { bufferBody } from '../shared/taps.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { ResponseTap } from '../types.js';
import { namedItems } from './responses-body.js';

/**
 * The tap for a 2xx answer about a conversation's items: free, and the items it holds (a list when
 * added or listed, one when retrieved), which a later Responses request may reference
 * (auth.stored_objects); a delete's answer is the conversation, which holds none.
 */
export function conversationItemsTap(): ResponseTap {
  return bufferBody((text, complete) => {
    const value = text === undefined ? undefined : parseJson(text);
    const m = nothingMetered(complete, errorFromValue(value));
    const o = asObject(value);
    if (complete && o !== undefined && o.object !== 'conversation') namedItems(m, o.object === 'list' ? asArray(o.data) : [o]);
    return m;
  });
}
