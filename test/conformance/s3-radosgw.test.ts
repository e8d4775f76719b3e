import { getTestEnv } from '../helpers/test-env.js';
import { runObjectStoreContract } from './object-store-contract.js';
import { s3Target } from './store-factories.js';

const env = getTestEnv();

runObjectStoreContract('ObjectStore contract: S3 on Ceph radosgw', () => s3Target(env.s3!), {
  skip: env.s3 ? undefined : `radosgw is not available: ${env.missing.filter((m) => m.startsWith('s3')).join('; ') || 'not started'}`,
});
