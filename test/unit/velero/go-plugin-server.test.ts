import { describe, expect, it } from 'vitest';
import { pluginNames } from '../../../src/velero/plugin-names.js';
import { logLevelFromArgs } from '../../../src/velero/plugin-logger.js';
import { checkHandshakeEnv, handshakeLine } from '../../../src/velero/go-plugin-server.js';

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
