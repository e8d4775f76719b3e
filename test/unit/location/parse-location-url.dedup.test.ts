import { describe, expect, it } from 'vitest';
import { resolveLocation } from '../../../src/agent/request-location.js';
import { parseLocationUrl } from '../../../src/location/parse-location-url.js';
import { readPluginConfig } from '../../../src/velero/plugin-config.js';

const ANY = { named: new Map(), grants: [], allowAny: true };
const VSL = { provider: 'aws', bucket: 'bkt', region: 'us-east-1', s3Url: 'http://127.0.0.1:7480', s3ForcePathStyle: 'true' };

describe('dedup is opt-in per location', () => {
  it('URL parameter dedup=true on every scheme; absent or false = plain; a bad value is an error', () => {
    expect(parseLocationUrl('file:///tmp/x?dedup=true').dedup).toBe(true);
    expect(parseLocationUrl('s3://bkt/p?endpoint=http://127.0.0.1:1&dedup=true').dedup).toBe(true);
    expect(parseLocationUrl('gs://bkt/p?dedup=true').dedup).toBe(true);
    expect(parseLocationUrl('s3://bkt/p?dedup=false').dedup).toBeUndefined();
    expect(parseLocationUrl('file:///tmp/x').dedup).toBeUndefined();
    expect(() => parseLocationUrl('file:///tmp/x?dedup=yes please')).toThrow(/dedup/);
  });
  it('the VolumeSnapshotLocation key `dedup`, as the agent reads a request location and the Velero plugin its config', () => {
    expect(resolveLocation({ kind: 'vsl', vsl: { config: { ...VSL, dedup: 'true' } } }, '', 'backup', ANY).config.dedup).toBe(true);
    expect(resolveLocation({ kind: 'vsl', vsl: { config: VSL } }, '', 'backup', ANY).config.dedup).toBeUndefined();
    expect(() => resolveLocation({ kind: 'vsl', vsl: { config: { ...VSL, dedup: 'ture' } } }, '', 'backup', ANY)).toThrow(/dedup/);
    const plugin = readPluginConfig({ ...VSL, dedup: 'true', agents: '127.0.0.1:9443' }, {});
    expect(plugin.locationConfig.dedup).toBe('true');
  });
});
