import { describe } from 'vitest';
import { healthStoreContract, rateShareContract } from './contract.js';
import { MemoryHealthStore } from './memory.js';

describe('memory health store', () => {
  healthStoreContract(() => new MemoryHealthStore());
  rateShareContract(() => new MemoryHealthStore());
});
