import { runObjectStoreContract } from './object-store-contract.js';
import { localTarget } from './store-factories.js';

runObjectStoreContract('ObjectStore contract: local directory', localTarget, {
  unsupported: {
    metadata: 'LocalStore keeps no object metadata (the manifest carries everything snapstream needs)',
    unreachableIsRetryable: 'a local directory has no network endpoint',
    deniedIsPermanent: 'a local directory has no credentials',
    cutConnections: 'a local directory has no connections',
  },
  // Reading a file past its end yields no bytes; the restore reports TRUNCATED from the short read.
  rangePastEnd: 'short',
});
