import { describe, expect, it } from 'vitest';
import { readPluginConfig } from '../../../src/velero/plugin-config.js';
import { pluginNames } from '../../../src/velero/plugin-names.js';
import { logLevelFromArgs } from '../../../src/velero/plugin-logger.js';
import { checkHandshakeEnv, handshakeLine } from '../../../src/velero/go-plugin-server.js';

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

describe('go-plugin handshake and names', () => {
  it('needs the magic cookie and app protocol 2', () => {
    expect(() => checkHandshakeEnv({})).toThrow(/not meant to be run by hand/);
    expect(() => checkHandshakeEnv({ VELERO_PLUGIN: 'hello', PLUGIN_PROTOCOL_VERSIONS: '3,4' })).toThrow(/speaks 2/);
    expect(() => checkHandshakeEnv({ VELERO_PLUGIN: 'hello', PLUGIN_PROTOCOL_VERSIONS: '1,2' })).not.toThrow();
    expect(handshakeLine('/tmp/x.sock')).toBe('1|2|unix|/tmp/x.sock|grpc\n');
  });

  it('registers snapstream.io/zfs unless the OpenEBS names are asked for', () => {
    expect(pluginNames({})).toEqual(['snapstream.io/zfs']);
    expect(pluginNames({ SNAPSTREAM_VELERO_PLUGIN_NAMES: 'openebs' })).toEqual(['openebs.io/cstor-blockstore', 'openebs.io/zfspv-blockstore']);
    expect(pluginNames({ SNAPSTREAM_VELERO_PLUGIN_NAMES: 'openebs.io/cstor-blockstore, snapstream.io/zfs' })).toEqual(['openebs.io/cstor-blockstore', 'snapstream.io/zfs']);
    expect(() => pluginNames({ SNAPSTREAM_VELERO_PLUGIN_NAMES: 'velero.io/aws' })).toThrow(/not a name this plugin can serve/);
  });

  it('takes --log-level from the flags the host appends and ignores the rest', () => {
    expect(logLevelFromArgs(['--log-level', 'debug', '--features=EnableCSI', '--whatever'], {})).toBe('debug');
    expect(logLevelFromArgs(['--log-level=warning'], {})).toBe('warn');
    expect(logLevelFromArgs(['--log-level=loud'], {})).toBe('info');
    expect(logLevelFromArgs([], { SNAPSTREAM_LOG_LEVEL: 'error' })).toBe('error');
  });
});
