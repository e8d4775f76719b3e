import { describe, expect, it } from 'vitest';
import { didYouMean } from '../../../src/parse/did-you-mean.js';

describe('didYouMean', () => {
  const keys = ['disableIncrementalBackups', 'DisableSSL', 's3Url', 'region', 'restApiTimeout', 'bucket'];
  it.each([
    ['disableIncrementalBackup', 'disableIncrementalBackups'],
    ['disableSSL', 'DisableSSL'],
    ['s3URL', 's3Url'],
    ['regoin', 'region'],
    ['restAPITimeout', 'restApiTimeout'],
    ['buckt', 'bucket'],
    ['endpoint', undefined],
    ['zone', undefined],
  ])('%s -> %s', (input, want) => {
    expect(didYouMean(input, keys)).toBe(want);
  });
});
