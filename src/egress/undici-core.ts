import { createRequire } from 'node:module';
import type * as Undici from 'undici';

// The parts of undici the gateway runs on, loaded without the package's index: the index also
// loads fetch, WebSocket, EventSource and the cache and mock agents, 3 MB of heap the gateway
// never uses (4-5 MB less resident memory, measured at start and with 1,000 open streams).
// undici has no exports map and is pinned in package.json; its tests and ours run these paths.
const require = createRequire(import.meta.url);

export const Agent = require('undici/lib/dispatcher/agent.js') as typeof Undici.Agent;
export type Agent = Undici.Agent;
export const errors = require('undici/lib/core/errors.js') as typeof Undici.errors;

const api = require('undici/lib/api/index.js') as { request(this: Undici.Dispatcher, o: Undici.Dispatcher.RequestOptions): Promise<Undici.Dispatcher.ResponseData> };
/** undici's `request` on the dispatcher given (the index adds it to every dispatcher; this does not). */
export const request = (dispatcher: Undici.Dispatcher, o: Undici.Dispatcher.RequestOptions): Promise<Undici.Dispatcher.ResponseData> => api.request.call(dispatcher, o);
