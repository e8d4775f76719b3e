import { describe, expect, it } from 'vitest';

describe('schedules naming volumes (config)', () => {
  it('reads snapstream.io/volume-names on a Velero Schedule and volumeNames in a SnapstreamConfig, refusing bad patterns', async () => {
    const { parseConfig } = await import('../../../src/config/load-config.js');
    const vsl = ['apiVersion: velero.io/v1', 'kind: VolumeSnapshotLocation', 'metadata: { name: main }', 'spec:', '  provider: openebs.io/cstor-blockstore', '  config: { provider: aws, bucket: bkt, region: r }'];
    const sched = (ann: string) => ['---', 'apiVersion: velero.io/v1', 'kind: Schedule', 'metadata:', '  name: nightly', '  annotations:', `    snapstream.io/volume-names: "${ann}"`, 'spec:', '  schedule: "0 1 * * *"', '  template: { ttl: 24h, volumeSnapshotLocations: [main] }'];
    const c = parseConfig([{ file: 'v.yaml', text: [...vsl, ...sched('pvc-*, pvc-db')].join('\n') + '\n' }]);
    expect(c.schedules[0]!.volumeNames).toEqual(['pvc-*', 'pvc-db']);
    expect(() => parseConfig([{ file: 'v.yaml', text: [...vsl, ...sched('pvc/x')].join('\n') + '\n' }])).toThrow(/"pvc\/x" is not a volume name or pattern/);
    const standalone = [
      'apiVersion: snapstream.io/v1', 'kind: SnapstreamConfig', 'locations:', '  - { name: main, provider: aws, bucket: bkt, region: r }',
      'schedules:', '  - { name: n, schedule: "@every 1h", keepLast: 2, volumeNames: ["pvc-?"] }', '',
    ].join('\n');
    const s = parseConfig([{ file: 's.yaml', text: standalone }]);
    expect(s.schedules[0]!.volumeNames).toEqual(['pvc-?']);
    expect(s.schedules[0]!.volumes).toEqual([]);
  });
});
