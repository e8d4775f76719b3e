import { describe, expect, it } from 'vitest';
import { readPluginConfig } from '../../../src/velero/plugin-config.js';

// The seed's VSL, bucket on an S3 endpoint, plus the plugin's own keys.
const seed = {
  bucket: 'test-bucket',
  provider: 'aws',
  region: 'us-east-1',
  s3Url: 'http://127.0.0.1:7480',
  restoreAllIncrementalSnapshots: 'false',
  autoSetTargetIP: 'true',
  disableIncrementalBackups: 'true',
  agents: '10.0.0.11:9443,[fd00::2]:9443',
  agentPools: 'cstor-pool-1,tank/k8s',
};

describe('Init config', () => {
  it('reads the seed keys and the plugin keys; the agents get the seed keys only', () => {
    const c = readPluginConfig(seed, {});
    expect(c.behaviour).toMatchObject({ disableIncrementalBackups: true, restoreAllIncrementalSnapshots: false, autoSetTargetIP: true });
    expect(c.access.agents).toEqual(['10.0.0.11:9443', '[fd00::2]:9443']);
    expect(c.access.pools).toEqual(['cstor-pool-1', 'tank/k8s']);
    expect(c.access.tls).toEqual({ caFile: '/credentials/snapstream/ca.crt', certFile: '/credentials/snapstream/tls.crt', keyFile: '/credentials/snapstream/tls.key' });
    expect(Object.keys(c.locationConfig).sort()).toEqual(['autoSetTargetIP', 'bucket', 'disableIncrementalBackups', 'provider', 'region', 'restoreAllIncrementalSnapshots', 's3Url']);
  });

  it('takes the plugin keys from the environment when the VSL has only the seed keys', () => {
    const { agents: _a, agentPools: _p, ...only } = seed;
    const c = readPluginConfig(only, { SNAPSTREAM_AGENTS: 'a.example:9443', SNAPSTREAM_AGENT_POOLS: 'p', SNAPSTREAM_TARGET_IP: '10.96.0.1' });
    expect(c.access.agents).toEqual(['a.example:9443']);
    expect(c.targetIP).toBe('10.96.0.1');
  });

  it.each([
    [{ disableIncrementalBackup: 'true' }, /unknown key "disableIncrementalBackup" \(did you mean "disableIncrementalBackups"\?\)/],
    [{ disableIncrementalBackups: 'ja' }, /disableIncrementalBackups: "ja" is not a boolean/],
    [{ multiPartChunkSize: '64 MB' }, /multiPartChunkSize/],
    [{ restApiTimeout: '10 minutes' }, /restApiTimeout/],
    [{ agents: '10.0.0.11' }, /agents: "10.0.0.11" is not host:port/],
    [{ agents: '' }, /no agents/],
    [{ agentPools: 'bad//pool' }, /agentPools/],
    [{ insecurePlaintext: 'true' }, /loopback only; 10.0.0.11:9443/],
    [{ tlsCaFile: 'ca.crt' }, /must be an absolute path/],
    [{ targetIP: 'target.local' }, /targetIP "target.local" is not an IPv4 or IPv6 address/],
    [{ provider: 'azure' }, /provider "azure" is not supported/],
  ])('refuses %j', (over, why) => {
    expect(() => readPluginConfig({ ...seed, ...over }, {})).toThrow(why);
  });

  it('plaintext only to loopback agents', () => {
    expect(readPluginConfig({ ...seed, agents: '127.0.0.1:9443,[::1]:1', insecurePlaintext: 'true' }, {}).access.tls).toBe('insecure-loopback');
  });
});
