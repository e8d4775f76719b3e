import type { Manifest } from '../../../src/model/manifest.js';

/**
 * A manifest with only the fields planning looks at set meaningfully. `prev` makes it incremental.
 * Defaults: volume "pvc-1", dataset "tank/pvc-1", snapshot = backup name (as Velero names snapshots),
 * guid derived from the snapshot name so links match unless a test overrides one side.
 */
export function m(backup: string, over: Partial<Manifest> & { prev?: string } = {}): Manifest {
  const { prev, ...rest } = over;
  const snapshot = rest.snapshot ?? backup;
  const previousSnapshot = rest.previousSnapshot ?? prev ?? '';
  return {
    format: 'snapstream.backup',
    version: 1,
    backup,
    schedule: '',
    volume: 'pvc-1',
    dataset: 'tank/pvc-1',
    snapshot,
    snapshotGuid: guidOf(snapshot),
    previousSnapshot,
    previousSnapshotGuid: previousSnapshot === '' ? '' : guidOf(previousSnapshot),
    previousBackup: previousSnapshot,
    dataKey: `backups/${backup}/${rest.volume ?? 'pvc-1'}-${backup}`,
    size: 0,
    hash: 'xxh64',
    streamHash: '0000000000000000',
    parts: [],
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    agent: { name: 'snapstream', version: '0.1.0' },
    sendArgs: [],
    ...rest,
  };
}

/** Deterministic fake ZFS guid (decimal string) for a snapshot name. */
export function guidOf(snapshot: string): string {
  let h = 7n;
  for (const c of snapshot) h = (h * 131n + BigInt(c.codePointAt(0)!)) % 18446744073709551557n;
  return h.toString();
}
