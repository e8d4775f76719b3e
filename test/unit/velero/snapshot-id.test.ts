import { describe, expect, it } from 'vitest';
import type { LocationConfig } from '../../../src/location/location-config.js';
import { formatSnapshotId, locationFingerprint, parseSnapshotId } from '../../../src/velero/snapshot-id.js';

const loc = (over: Partial<{ bucket: string; endpoint: string; region: string; backupPathPrefix: string; prefix: string }> = {}): LocationConfig => ({
  store: { provider: 'aws', bucket: over.bucket ?? 'b1', region: over.region ?? 'us-east-1', endpoint: over.endpoint ?? 'http://a:1', forcePathStyle: true, insecureSkipTLSVerify: false, checksums: 'WHEN_REQUIRED' },
  layout: { backupPathPrefix: over.backupPathPrefix ?? '', prefix: over.prefix ?? '' },
});

describe('snapshot IDs', () => {
  it('round-trip and carry volume, backup and location', () => {
    const id = { location: locationFingerprint(loc()), volume: 'pvc-0b1c.d_e', backup: 'nightly-20261201010000' };
    const text = formatSnapshotId(id);
    expect(text).toBe(`ss1:${id.location}:pvc-0b1c.d_e@nightly-20261201010000`);
    expect(parseSnapshotId(text)).toEqual(id);
  });

  it('name where objects are, not how they are reached', () => {
    const a = locationFingerprint(loc());
    expect(locationFingerprint(loc({ endpoint: 'https://other:443', region: 'eu-west-1' }))).toBe(a);
    expect(locationFingerprint(loc({ bucket: 'b2' }))).not.toBe(a);
    expect(locationFingerprint(loc({ backupPathPrefix: 'x' }))).not.toBe(a);
    expect(locationFingerprint(loc({ prefix: 'p' }))).not.toBe(a);
  });

  it.each([
    ['pvc-1-velero-bkp-nightly', /expected "ss1:/],
    ['ss2:0123456789ab:pvc-1@b', /expected "ss1:/],
    ['ss1:0123456789:pvc-1@b', /location part/],
    ['ss1:0123456789ab:@b', /volume part/],
    ['ss1:0123456789ab:pvc/../x@b', /volume part/],
    ['ss1:0123456789ab:pvc-1@B-Upper', /backup part/],
    ['ss1:0123456789ab:pvc-1@b@c', /backup part/],
    ['ss1:0123456789ab:pvc-1@', /backup part/],
  ])('refuses %s', (text, why) => {
    expect(() => parseSnapshotId(text)).toThrow(why);
  });
});
