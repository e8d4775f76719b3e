import type { Logger } from 'pino';
import { ErrorCode, isSnapstreamError } from '../errors.js';
import { deriveCompletedBackup } from '../plan/backup-plan.js';
import { scheduledBackupName, scheduledBackupTime } from '../plan/scheduled-name.js';
import { type VolumeBackupInput, runVolumeBackup } from '../controller/run-volume-backup.js';
import type { VolumeRunStatus } from '../controller/schedule-status.js';
import type { VolumeRef } from './cluster.js';
import type { ClusterImpl } from './open-cluster.js';

export type ClusterVolumeInput = Omit<VolumeBackupInput, 'dataset'> & { ref: VolumeRef };

/**
 * One volume of one scheduled slot on a cluster: the controller's usual sequence (runVolumeBackup:
 * snapshot, full or incremental backup, cleanup) on a healthy replica chosen by the cluster, with
 * failover to the next replica. The incremental base must be on the replica with the guid the last
 * completed backup recorded; when no healthy replica has it, the slot is backed up full instead (a
 * new chain) rather than not at all.
 */
export async function runClusterVolumeBackup(input: ClusterVolumeInput, deps: { cluster: ClusterImpl; log: Logger; onDestroyed?: (snap: string, reason: string) => void }, signal?: AbortSignal): Promise<VolumeRunStatus & { node?: string }> {
  const { ref } = input;
  const mine = input.manifests.filter((m) => m.volume === ref.volume);
  const completed = deriveCompletedBackup(
    mine.filter((m) => m.schedule !== input.schedule || (scheduledBackupTime(m.backup, input.schedule)?.getTime() ?? 0) < input.slot.getTime()),
    input.schedule,
    ref.volume,
  );
  const base = completed?.lastSnapName ?? '';
  const baseGuid = mine.find((m) => m.snapshot === base && m.schedule === input.schedule)?.snapshotGuid ?? '';
  const snapName = scheduledBackupName(input.schedule, input.slot);
  const incremental = !input.disableIncrementalBackups && input.fullBecause === undefined && base !== '';
  const attempt = (fullBecause?: string) =>
    deps.cluster.withFailover(
      ref,
      { snapName, prevSnapName: fullBecause === undefined && incremental ? base : '', ...(baseGuid ? { prevSnapGuid: baseGuid } : {}), disableIncrementalBackups: input.disableIncrementalBackups },
      (r, agent, s) =>
        runVolumeBackup(
          { ...input, dataset: r.dataset, ...(fullBecause !== undefined ? { fullBecause } : {}) },
          { agent, log: deps.log.child({ node: r.node }), ...(deps.onDestroyed ? { onDestroyed: deps.onDestroyed } : {}) },
          s,
        ),
      signal,
    );
  try {
    const { result, replica } = await attempt();
    return { ...result, node: replica.node };
  } catch (e) {
    if (!incremental || !isSnapstreamError(e, ErrorCode.BASE_MISSING)) throw e;
    deps.log.warn({ volume: ref.volume, base, err: e.message }, 'no healthy replica holds the incremental base; sending a full backup');
    const { result, replica } = await attempt('the incremental base is on no healthy replica');
    return { ...result, node: replica.node };
  }
}
