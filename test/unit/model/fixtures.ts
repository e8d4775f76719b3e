import type { Manifest } from '../../../src/model/manifest.js';

/** A valid v1 (xxh64) manifest of two parts; `over` replaces fields. */
export function sampleManifest(over: Partial<Manifest> = {}): Manifest {
  return {
    format: 'snapstream.backup', version: 1, backup: 'b1', schedule: '', volume: 'v', dataset: 'tank/v', snapshot: 's1',
    snapshotGuid: '123', previousSnapshot: '', previousSnapshotGuid: '', previousBackup: '', dataKey: 'backups/b1/v-b1',
    size: 30, hash: 'xxh64', streamHash: '0123456789abcdef',
    parts: [
      { n: 1, offset: 0, size: 20, xxh64: 'aaaaaaaaaaaaaaaa' },
      { n: 2, offset: 20, size: 10, xxh64: 'bbbbbbbbbbbbbbbb' },
    ],
    startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.000Z',
    agent: { name: 'snapstream', version: '0.1.0' }, sendArgs: ['send', 'tank/v@s1'], ...over,
  };
}
