import { describe } from 'vitest';
import { countersContract } from './contract.js';
import { MemoryCounters } from './memory.js';

describe('memory counters', () => {
  countersContract(() => Promise.resolve({ counters: new MemoryCounters(), prefix: '{tg}:' }));
});
