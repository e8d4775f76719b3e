import { isScheduledBackupName } from './scheduled-name.js';

export interface CleanupInput {
  /** Scheduled backups keep a base snapshot between runs; ad-hoc ones never do. */
  scheduled: boolean;
  succeeded: boolean;
  disableIncrementalBackups: boolean;
  /** This backup's snapshot. */
  snapName: string;
  /**
   * The snapshot kept on the pool as the base before this backup ran (the completed record's
   * lastSnapName, "" when none). Normally the incremental base this backup was sent from.
   */
  previousBase: string;
  /** Snapshots that exist now, when listed: only those are returned, so cleanup is idempotent. */
  poolSnapshots?: readonly string[];
}

export interface CleanupPlan {
  /** Snapshot names (of the volume's dataset) to destroy, in this order. */
  destroy: string[];
  /** The snapshot that stays as the base of the next incremental backup, "" for none. */
  nextBase: string;
}

/**
 * Which pool snapshots to destroy after a backup, as today's operator does, with the seed's full
 * mode fixed:
 *  - ad-hoc backup: destroy its snapshot (success or failure);
 *  - scheduled, failed: destroy its own snapshot; the previous base stays the base;
 *  - scheduled incremental, succeeded: destroy the previous base, keep this one as the next base;
 *  - scheduled full (disableIncrementalBackups), succeeded: destroy this snapshot too. The seed as
 *    written keeps it as a "base" nobody uses, leaking one snapshot per backup (anchors.md). A base
 *    left by earlier incremental runs (the user switched modes) is destroyed as well.
 * The next base is never destroyed, whatever the inputs.
 */
export function planCleanup(input: CleanupInput): CleanupPlan {
  const { snapName, previousBase } = input;
  let destroy: string[];
  let nextBase: string;
  if (!input.scheduled) {
    destroy = [snapName];
    nextBase = previousBase;
  } else if (!input.succeeded) {
    destroy = [snapName];
    nextBase = previousBase;
  } else if (input.disableIncrementalBackups) {
    destroy = [snapName, previousBase];
    nextBase = '';
  } else {
    destroy = [previousBase];
    nextBase = snapName;
  }
  destroy = [...new Set(destroy)].filter((s) => s !== '' && s !== nextBase);
  if (input.poolSnapshots !== undefined) {
    const present = new Set(input.poolSnapshots);
    destroy = destroy.filter((s) => present.has(s));
  }
  return { destroy, nextBase };
}

export interface OrphanInput {
  schedule: string;
  /** Snapshots of the volume's dataset, as listed on the pool. */
  poolSnapshots: readonly string[];
  /** The completed record's lastSnapName (kept in incremental mode), "" for none. */
  nextBase: string;
  /** Snapshots of backups running right now. */
  inProgress: readonly string[];
}

/**
 * Snapshots a crashed or killed run left behind (openebs#3010: failed backups leaving snapshots
 * that eat pool space). Only names of this schedule's backups are considered, so snapshots users
 * or other tools made are never touched; the next base and running backups are kept.
 */
export function planOrphanCleanup(input: OrphanInput): string[] {
  const keep = new Set([input.nextBase, ...input.inProgress]);
  return input.poolSnapshots.filter((s) => isScheduledBackupName(s, input.schedule) && !keep.has(s));
}
