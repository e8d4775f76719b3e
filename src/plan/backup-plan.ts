import { ErrorCode, SnapstreamError } from '../errors.js';
import type { Manifest } from '../model/manifest.js';
import { compareBackups } from './backup-order.js';
import { scheduledBackupName } from './scheduled-name.js';

export { isScheduledBackupName, scheduledBackupName, scheduledBackupTime } from './scheduled-name.js';

/**
 * The operator's CStorCompletedBackup, per schedule and volume: the snapshots of the last two
 * successful backups. `lastSnapName` is the base of the next incremental backup.
 */
export interface CompletedBackup {
  lastSnapName: string;
  /** "" when only one backup has completed. */
  secondLastSnapName: string;
}

export interface BackupPlanInput {
  schedule: string;
  volume: string;
  now: Date;
  disableIncrementalBackups: boolean;
  completed: CompletedBackup | undefined;
  /**
   * Snapshots that exist on the pool for this volume, when the caller has listed them. An
   * incremental base that is gone (destroyed by hand, or cleaned up in full mode before the user
   * switched to incremental) turns the backup into a full one instead of failing every run.
   */
  poolSnapshots?: readonly string[];
  /** Send a full stream for this reason although incremental backups are on (retention promotion). */
  fullBecause?: string;
}

export interface BackupPlan {
  backupName: string;
  /** The snapshot to take; named after the backup, as the operator does. */
  snapName: string;
  /** Incremental base, "" for a full backup. */
  prevSnapName: string;
  /** Why the backup is full or incremental, for logs and status. */
  reason: string;
}

/**
 * Plans one scheduled backup of one volume. The base is the last completed backup's snapshot, or
 * nothing when incremental backups are disabled (the seed) or nothing completed yet. A failed
 * backup never becomes a base because only committed backups (manifests) define `completed`, so a
 * failed first backup does not poison the schedule (openebs#2926).
 */
export function planBackup(input: BackupPlanInput): BackupPlan {
  if (input.volume === '') throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, 'a backup needs a volume name');
  const backupName = scheduledBackupName(input.schedule, input.now);
  const plan = (prevSnapName: string, reason: string): BackupPlan => ({ backupName, snapName: backupName, prevSnapName, reason });
  const last = input.completed?.lastSnapName ?? '';
  if (last === backupName) {
    throw new SnapstreamError(
      ErrorCode.ALREADY_EXISTS,
      `backup "${backupName}" of volume "${input.volume}" already completed; a schedule cannot run twice in the same second`,
      { details: { backup: backupName, volume: input.volume } },
    );
  }
  if (input.disableIncrementalBackups) return plan('', 'full: disableIncrementalBackups is true');
  if (input.fullBecause !== undefined) return plan('', input.fullBecause);
  if (last === '') return plan('', 'full: no completed backup of this schedule and volume yet');
  if (input.poolSnapshots !== undefined && !input.poolSnapshots.includes(last)) {
    return plan('', `full: the last completed backup's snapshot "${last}" is no longer on the pool`);
  }
  return plan(last, `incremental from "${last}", the last completed backup`);
}

/**
 * Rebuilds the completed-backup record of a schedule and volume from the manifests in the bucket,
 * so a restarted controller (or a new one) continues exactly where the last one stopped.
 */
export function deriveCompletedBackup(manifests: readonly Manifest[], schedule: string, volume: string): CompletedBackup | undefined {
  const mine = manifests.filter((m) => m.schedule === schedule && m.volume === volume && schedule !== '').sort(compareBackups);
  const last = mine.at(-1);
  if (last === undefined) return undefined;
  return { lastSnapName: last.snapshot, secondLastSnapName: mine.at(-2)?.snapshot ?? '' };
}
