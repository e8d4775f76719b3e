import { describe, expect, it } from 'vitest';
import type { ResolvedS3Config } from '../../../../src/store/s3/s3-config.js';
import { staticEnvCredentials } from '../../../../src/store/s3/s3-credentials.js';

const cfg: ResolvedS3Config = { provider: 'aws', bucket: 'b', region: 'us-east-1', forcePathStyle: true, insecureSkipTLSVerify: false, checksums: 'WHEN_REQUIRED' };
const keys = { AWS_ACCESS_KEY_ID: 'AK', AWS_SECRET_ACCESS_KEY: 'SK' };

describe('staticEnvCredentials: the environment pair, only where the SDK chain would take it', () => {
  it('takes the pair, and the session token with it', () => {
    expect(staticEnvCredentials(cfg, keys)).toEqual({ accessKeyId: 'AK', secretAccessKey: 'SK' });
    expect(staticEnvCredentials(cfg, { ...keys, AWS_SESSION_TOKEN: 'T' })).toEqual({ accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'T' });
  });
  it('leaves profiles, AWS_PROFILE, expiring pairs and half pairs to the SDK', () => {
    expect(staticEnvCredentials({ ...cfg, profile: 'p' }, keys)).toBeUndefined();
    expect(staticEnvCredentials(cfg, { ...keys, AWS_PROFILE: 'p' })).toBeUndefined();
    expect(staticEnvCredentials(cfg, { ...keys, AWS_CREDENTIAL_EXPIRATION: '2030-01-01T00:00:00Z' })).toBeUndefined();
    expect(staticEnvCredentials(cfg, { AWS_ACCESS_KEY_ID: 'AK' })).toBeUndefined();
    expect(staticEnvCredentials(cfg, { AWS_SECRET_ACCESS_KEY: 'SK' })).toBeUndefined();
    expect(staticEnvCredentials(cfg, {})).toBeUndefined();
  });
});
