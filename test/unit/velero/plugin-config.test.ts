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
};

describe('Init config', () => {
  it('reads the seed keys and the plugin keys; the agents get the seed keys only', () => {
    const c = readPluginConfig(seed, {});
    expect(c.behaviour).toMatchObject({ disableIncrementalBackups: true, restoreAllIncrementalSnapshots: false, autoSetTargetIP: true });
    expect(c.access.discovery).toEqual({ kind: 'static', agents: ['10.0.0.11:9443', '[fd00::2]:9443'] });
    expect(c.targetIPLookup).toEqual({ namespace: 'openebs' });
    expect(c.transfer).toBeUndefined();
    expect(c.access.tls).toEqual({ caFile: '/credentials/snapstream/ca.crt', certFile: '/credentials/snapstream/tls.crt', keyFile: '/credentials/snapstream/tls.key' });
    expect(Object.keys(c.locationConfig).sort()).toEqual(['autoSetTargetIP', 'bucket', 'disableIncrementalBackups', 'provider', 'region', 'restoreAllIncrementalSnapshots', 's3Url']);
  });

  it('takes the plugin keys from the environment when the VSL has only the seed keys', () => {
    const { agents: _a, ...only } = seed;
    const c = readPluginConfig(only, { SNAPSTREAM_AGENTS: 'a.example:9443', SNAPSTREAM_TARGET_IP: '10.96.0.1' });
    expect(c.access.discovery).toEqual({ kind: 'static', agents: ['a.example:9443'] });
    expect(c.targetIP).toBe('10.96.0.1');
    const d = readPluginConfig(only, { SNAPSTREAM_AGENT_DISCOVERY: 'kubernetes:openebs/app=snapstream-agent:9443', SNAPSTREAM_KUBECONFIG: '/etc/kube/config' });
    expect(d.access.discovery).toEqual({ kind: 'kubernetes', namespace: 'openebs', labelSelector: 'app=snapstream-agent', port: 9443, kubeconfig: '/etc/kube/config' });
    expect(d.targetIPLookup).toEqual({ namespace: 'openebs', kubeconfig: '/etc/kube/config' });
  });

  it('agentDiscovery: DNS (a headless Service) and the Kubernetes API; rateLimit and targetIPNamespace', () => {
    const { agents: _a, ...only } = seed;
    const c = readPluginConfig({ ...only, agentDiscovery: 'dns:snapstream-agent.openebs.svc.cluster.local:9443', rateLimit: '50Mi', targetIPNamespace: 'storage' }, {});
    expect(c.access.discovery).toEqual({ kind: 'dns', name: 'snapstream-agent.openebs.svc.cluster.local', port: 9443 });
    expect(c.transfer).toEqual({ rateLimitBytesPerSec: 50 * 1024 * 1024 });
    expect(c.targetIPLookup.namespace).toBe('storage');
    expect(Object.keys(c.locationConfig)).not.toContain('agentDiscovery');
    expect(() => readPluginConfig({ ...seed, agentDiscovery: 'dns:x.local:9443' }, {})).toThrow(/agents and agentDiscovery exclude each other/);
    expect(() => readPluginConfig({ ...only, agentDiscovery: 'consul:agents' }, {})).toThrow(/agentDiscovery "consul:agents": unknown kind/);
    expect(() => readPluginConfig({ ...only, agentDiscovery: 'dns:x.local:9443', insecurePlaintext: 'true' }, {})).toThrow(/not dns discovery/);
  });

  it.each([
    [{ disableIncrementalBackup: 'true' }, /unknown key "disableIncrementalBackup" \(did you mean "disableIncrementalBackups"\?\)/],
    [{ disableIncrementalBackups: 'ja' }, /disableIncrementalBackups: "ja" is not a boolean/],
    [{ multiPartChunkSize: '64 MB' }, /multiPartChunkSize/],
    [{ restApiTimeout: '10 minutes' }, /restApiTimeout/],
    [{ agents: '10.0.0.11' }, /agents: "10.0.0.11" is not host:port/],
    [{ agents: '' }, /no agents/],
    [{ agentPools: 'cstor-pool-1' }, /agentPools is no longer used: the agents' Inventory/],
    [{ rateLimit: 'fast' }, /rateLimit/],
    [{ targetIPNamespace: 'Open_EBS' }, /targetIPNamespace "Open_EBS" is not a namespace name/],
    [{ kubeconfig: 'kube.yaml' }, /kubeconfig "kube.yaml" must be an absolute path/],
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
