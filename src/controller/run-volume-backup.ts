import type { Logger } from 'pino';
import { ErrorCode, isSnapstreamError, toSnapstreamError } from '../errors.js';
import { deriveCompletedBackup, planBackup } from '../plan/backup-plan.js';
import { compareBackups } from '../plan/backup-order.js';
import { planCleanup, planOrphanCleanup } from '../plan/cleanup-plan.js';
import { type DestroyCandidate, vetDestroys } from '../plan/destroy-guard.js';
import { isScheduledBackupName, scheduledBackupTime } from '../plan/scheduled-name.js';
import type { Manifest } from '../model/manifest.js';
import type { AgentClient } from './agent-client.js';
import { backupThroughAgent } from './backup-through-agent.js';
import type { VolumeRunStatus } from './schedule-status.js';

export interface VolumeBackupInput {
  schedule: string;
  slot: Date;
  volume: string;
  dataset: string;
  disableIncrementalBackups: boolean;
  /** VolumeSnapshotLocation config sent to the agent. */
  location: Record<string, string>;
  /** Committed backups of the location, listed just before this run. */
  manifests: readonly Manifest[];
  /** Force a full stream for this reason (retention promotion in incremental mode). */
  fullBecause?: string;
}

export interface VolumeBackupDeps {
  agent: AgentClient;
  log: Logger;
  /** Called for every snapshot destroyed, with why (cleanup | failed | orphan). */
  onDestroyed?: (snap: string, reason: string) => void;
  /** Called for every snapshot cleanup wanted to destroy but kept: not made by this schedule. */
  onRefused?: (snap: string, reason: string) => void;
  /** With trusted keys: only a signed manifest may name a snapshot to destroy (BackupCatalog.isTrusted). */
  isTrusted?: (m: Manifest) => boolean;
}

/**
 * One volume of one slot, as the operator does it: snapshot, back up (full, or incremental from the
 * last completed backup of this schedule and volume), then clean the pool snapshots up. Safe to run
 * again for the same slot after a crash or failure: a committed backup is recognised by its manifest
 * and only its cleanup is redone; a snapshot left by an earlier attempt is reused; a job still
 * running on the agent is joined (the agent deduplicates identical requests).
 */
export async function runVolumeBackup(input: VolumeBackupInput, deps: VolumeBackupDeps, signal?: AbortSignal): Promise<VolumeRunStatus> {
  const { agent } = deps;
  const { schedule, volume, dataset } = input;
  const others = input.manifests.filter((m) => m.volume === volume);
  // Only manifests naming a snapshot of this schedule's own naming on this dataset can be a base: a
  // manifest planted in the bucket must not pick the base (nor, through it, what cleanup destroys).
  const completed = deriveCompletedBackup(
    others.filter((m) => !isAtOrAfter(m, schedule, input.slot) && isScheduledBackupName(m.snapshot, schedule) && m.dataset === dataset),
    schedule,
    volume,
  );
  const previousBase = completed?.lastSnapName ?? '';
  // The manifest the previous base's name comes from: its guid is what may be destroyed.
  const baseManifest = others
    .filter((m) => m.schedule === schedule && m.snapshot === previousBase && m.dataset === dataset && !isAtOrAfter(m, schedule, input.slot))
    .sort(compareBackups)
    .at(-1);
  const pool = await agent.listSnapshots(dataset, signal);
  const plan = planBackup({
    schedule,
    volume,
    now: input.slot,
    disableIncrementalBackups: input.disableIncrementalBackups,
    completed,
    poolSnapshots: pool,
    ...(input.fullBecause !== undefined ? { fullBecause: input.fullBecause } : {}),
  });
  const log = deps.log.child({ backup: plan.backupName, volume, dataset });
  const destroy = async (snaps: readonly string[], reason: string) => {
    const candidates: DestroyCandidate[] = snaps.map((s) => (s === previousBase && baseManifest ? { snapshot: s, manifest: baseManifest } : { snapshot: s }));
    const vetted = vetDestroys({ schedule, dataset, candidates, ...(deps.isTrusted ? { isTrusted: deps.isTrusted } : {}) });
    for (const r of vetted.refused) {
      deps.onRefused?.(r.snapshot, r.reason);
      log.warn({ snapshot: r.snapshot, reason: r.reason }, `not destroying snapshot: ${r.message}`);
    }
    for (const { snapshot: s, expectedGuid } of vetted.destroy) {
      try {
        if (await agent.destroySnapshot(dataset, s, signal, expectedGuid)) deps.onDestroyed?.(s, reason);
        log.info({ snapshot: s, reason }, 'destroyed snapshot');
      } catch (e) {
        if (isSnapstreamError(e, ErrorCode.SNAPSHOT_MISMATCH)) {
          deps.onRefused?.(s, 'guid-mismatch');
          log.warn({ snapshot: s, reason: 'guid-mismatch', err: e.message }, 'not destroying snapshot: it is not the one the manifest recorded');
          continue;
        }
        // Cleanup failing must not fail the backup; the orphan sweep of a later run retries it.
        log.warn({ snapshot: s, reason, err: (e as Error).message }, 'could not destroy snapshot; a later run retries');
      }
    }
  };

  const committed = others.find((m) => m.backup === plan.backupName);
  if (committed !== undefined) {
    // Committed before a crash or restart: only the cleanup may be missing.
    log.info('backup of this slot is already committed; redoing its cleanup only');
    const cleanup = planCleanup({ scheduled: true, succeeded: true, disableIncrementalBackups: input.disableIncrementalBackups, snapName: plan.snapName, previousBase, poolSnapshots: pool });
    await destroy(cleanup.destroy, 'cleanup');
    return { volume, result: 'succeeded', type: committed.previousSnapshot ? 'incremental' : 'full', bytes: committed.size };
  }

  const type = plan.prevSnapName ? 'incremental' : 'full';
  try {
    log.info({ previousSnapshot: plan.prevSnapName, reason: plan.reason }, `${type} backup starting`);
    const outcome = await backupThroughAgent(
      agent,
      { schedule, snapName: plan.snapName, prevSnapName: plan.prevSnapName, volume, dataset, disableIncrementalBackups: input.disableIncrementalBackups, location: input.location },
      {
        ...(signal ? { signal } : {}),
        createSnapshot: !pool.includes(plan.snapName),
        onStarted: (started) => started.joined && log.info({ jobId: started.jobId }, 'joined a backup job already on the agent'),
      },
    );
    log.info({ jobId: outcome.jobId, bytes: outcome.backup?.sizeBytes }, `${type} backup committed`);
    const after = await agent.listSnapshots(dataset, signal);
    const cleanup = planCleanup({ scheduled: true, succeeded: true, disableIncrementalBackups: input.disableIncrementalBackups, snapName: plan.snapName, previousBase, poolSnapshots: after });
    await destroy(cleanup.destroy, 'cleanup');
    // Snapshots of this schedule that a crash or a killed run left behind (openebs#3010); only
    // older slots, so a slot another run may be working on is never touched.
    const orphans = planOrphanCleanup({ schedule, poolSnapshots: after, nextBase: cleanup.nextBase, inProgress: [plan.snapName] }).filter(
      (s) => (scheduledBackupTime(s, schedule)?.getTime() ?? Infinity) < input.slot.getTime() && !cleanup.destroy.includes(s),
    );
    await destroy(orphans, 'orphan');
    return { volume, result: 'succeeded', type, bytes: outcome.backup?.sizeBytes ?? 0 };
  } catch (e) {
    const err = toSnapstreamError(e);
    log.warn({ code: err.code, err: err.message }, `${type} backup failed`);
    // A failed backup deletes its own snapshot; the previous base stays, so the next run (or a
    // retry) is incremental from the last *completed* backup and nothing is poisoned (openebs#2926).
    if (err.code !== ErrorCode.ABORTED) {
      const cleanup = planCleanup({ scheduled: true, succeeded: false, disableIncrementalBackups: input.disableIncrementalBackups, snapName: plan.snapName, previousBase });
      await destroy(cleanup.destroy, 'failed');
    }
    throw err;
  }
}

/** Whether `m` is a backup of `schedule` from `slot` or later (not a candidate base for it). */
function isAtOrAfter(m: Manifest, schedule: string, slot: Date): boolean {
  if (m.schedule !== schedule) return false;
  const t = scheduledBackupTime(m.backup, schedule);
  return t !== undefined && t.getTime() >= slot.getTime();
}
