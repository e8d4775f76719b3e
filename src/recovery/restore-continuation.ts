import type { Manifest } from '../model/manifest.js';
import type { SnapshotInfo } from '../zfs/zfs.js';

/**
 * Where a chain restore interrupted by a crash continues: the index of the first link still to
 * receive, given the snapshots the target has now. Only a guid match counts (a snapshot of the same
 * name from another stream is not the link); the target's latest snapshot must be a link of the
 * plan, because every later link is an incremental from exactly that snapshot. `undefined` when the
 * target holds no link of this plan (it has to be received from the start).
 */
export function continueFrom(plan: readonly Manifest[], snaps: readonly SnapshotInfo[]): number | undefined {
  const latest = snaps[snaps.length - 1];
  if (!latest || !latest.guid) return undefined;
  const i = plan.findIndex((m) => m.snapshotGuid !== '' && m.snapshotGuid === latest.guid && m.snapshot === latest.name);
  return i < 0 ? undefined : i + 1;
}
