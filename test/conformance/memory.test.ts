import pino from 'pino';
import { decorateStore } from '../../src/store/decorators/decorate-store.js';
import { MemoryStore } from '../helpers/memory-store.js';
import { runObjectStoreContract } from './object-store-contract.js';

// The unit tests' fake meets the same contract as the real stores, so what they learn holds there.
runObjectStoreContract(
  'ObjectStore contract: the in-memory store of the unit tests',
  async () => ({ store: decorateStore(new MemoryStore(), { log: pino({ level: 'silent' }) }), listPageSize: 10 }),
  {
    unsupported: {
      unreachableIsRetryable: 'memory has no network endpoint',
      deniedIsPermanent: 'memory has no credentials',
      cutConnections: 'memory has no connections',
      resumeUpload: 'an in-memory upload does not outlive its process',
    },
  },
);
