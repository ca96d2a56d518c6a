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

// `request` and the other convenience methods, which the index adds to every dispatcher.
const dispatcher = require('undici/lib/dispatcher/dispatcher.js') as { prototype: object };
Object.assign(dispatcher.prototype, require('undici/lib/api/index.js') as object);
