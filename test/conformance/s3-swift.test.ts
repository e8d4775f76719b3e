import { getTestEnv } from '../helpers/test-env.js';
import { runObjectStoreContract } from './object-store-contract.js';
import { s3Target } from './store-factories.js';

const env = getTestEnv();

runObjectStoreContract('ObjectStore contract: S3 on Swift + s3api', () => s3Target(env.swift!), {
  skip: env.swift ? undefined : `Swift is not available: ${env.missing.filter((m) => m.startsWith('swift')).join('; ') || 'not started'}`,
});
