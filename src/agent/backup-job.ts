import { ErrorCode, SnapstreamError } from '../errors.js';
import { runBackupPlan } from '../transfer/backup.js';
import { makeBackupRunPlan } from '../transfer/make-backup-run-plan.js';
import { validateBackupName } from '../model/layout.js';
import { parseDatasetName, parseSnapshotShortName } from '../zfs/names.js';
import { type AgentContext, resolveTransfer } from './agent-context.js';
import { fingerprint, idempotencyKey } from './fingerprint.js';
import type { JobSpec, JobState } from './jobs/job-types.js';
import { progressRelay } from './progress-relay.js';
import type { BackupRequest__Output } from '../wire/generated/snapstream/v1/BackupRequest.js';
import { resolveLocation } from './request-location.js';

/** BackupRequest as proto-loader decodes it (generated from agent.proto). */
export type BackupMsg = BackupRequest__Output;

/** A joined job, or a job to submit plus what to release if it never runs (a race lost to a twin). */
export type Prepared = { joined: JobState } | { spec: JobSpec; dispose(): Promise<void> };

function required(v: string, field: string): string {
  if (!v) throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `backup: ${field} is required`);
  return v;
}

/**
 * Validates a Backup request and turns it into a job. Naming follows the cStor operator: snapName is
 * the Velero backup name and names both the snapshot and the backup objects; backupName is the
 * schedule when it differs. Everything checkable without transferring (names, allowed pools, the
 * snapshot's existence, the location) fails here, synchronously, before a job exists.
 */
export async function prepareBackup(msg: BackupMsg, ctx: AgentContext, signal: AbortSignal): Promise<Prepared> {
  const dataset = parseDatasetName(required(msg.dataset, 'dataset'));
  ctx.zfs.checkAllowed(dataset);
  const snap = parseSnapshotShortName(required(msg.snapName, 'snapName'));
  const volume = validateBackupName(required(msg.volumeName, 'volumeName'), 'volume name');
  const backup = validateBackupName(snap, 'backup name (snapName)');
  const schedule = msg.backupName && msg.backupName !== snap ? validateBackupName(msg.backupName, 'backupName (schedule)') : '';

  if (msg.localSnap) {
    const fp = fingerprint({ kind: 'backup', localSnap: true, dataset, snap });
    const key = idempotencyKey('backup', msg.idempotencyKey, fp);
    const joined = ctx.jobs.lookup(key, fp);
    if (joined) return { joined };
    return {
      spec: {
        kind: 'backup',
        key,
        fingerprint: fp,
        description: `local snapshot ${dataset}@${snap}`,
        memoryBytes: 0,
        run: async ({ signal: s }) => {
          if (!(await ctx.zfs.exists(dataset, snap, s))) await ctx.zfs.snapshot(dataset, snap, s);
          return { backup: { localOnly: true, dataKey: '', sizeBytes: 0, streamHash: '', parts: 0, previousSnapshot: '', resumedBytes: 0, resumeRestartReason: '' } };
        },
      },
      dispose: async () => {},
    };
  }

  const location = resolveLocation(msg.location, msg.backupDest, 'backup', ctx.config.locationGrants);
  const disableIncremental = msg.disableIncrementalBackups || location.behaviour?.disableIncrementalBackups === true;
  // With disableIncrementalBackups the base is ignored entirely, also for idempotency: a retry with a
  // different prevSnapName is the same full backup.
  const prev = disableIncremental || !msg.prevSnapName ? '' : parseSnapshotShortName(msg.prevSnapName);
  const transfer = resolveTransfer(msg.transfer, location.config.partSize, ctx.config);
  const fp = fingerprint({ kind: 'backup', dataset, snap, prev, backup, schedule, volume, location: location.identity });
  const key = idempotencyKey('backup', msg.idempotencyKey, fp);
  const joined = ctx.jobs.lookup(key, fp);
  if (joined) return { joined };

  const store = await ctx.openStore(location.config);
  let handedOff = false;
  try {
    // Planned once, here: the job reserves memory from the very plan the pipeline runs.
    const plan = await makeBackupRunPlan(
      {
        dataset,
        snapshot: snap,
        previousSnapshot: prev,
        disableIncrementalBackups: disableIncremental,
        backup,
        schedule,
        volume,
        previousBackup: prev,
        layout: location.config.layout,
        ...(ctx.config.nodeName ? { node: ctx.config.nodeName } : {}),
        // A retry after an agent restart is a new job: a backup already committed is its answer.
        acceptCommitted: true,
        // h15-dedup: the request's field, or the location's dedup setting.
        dedup: msg.dedup === true || location.config.dedup === true,
        transfer: {
          ...(transfer.partSize !== undefined ? { partSize: transfer.partSize } : {}),
          concurrency: transfer.concurrency,
          ...(transfer.rateLimitBytesPerSec !== undefined ? { rateLimitBytesPerSec: transfer.rateLimitBytesPerSec } : {}),
          stallTimeoutMs: transfer.stallTimeoutMs,
        },
      },
      { zfs: ctx.zfs, store, log: ctx.log, ...(ctx.keys ? { keys: ctx.keys } : {}) },
      signal,
    );
    const spec: JobSpec = {
      kind: 'backup',
      key,
      fingerprint: fp,
      description: `${dataset}@${snap}${prev ? ` (incremental from @${prev})` : ''} -> ${location.describe} as ${backup}/${volume}`,
      memoryBytes: plan.memoryBytes,
      // The pipeline's ProgressMeter watches for stalls (the plan carries the timeout).
      stallTimeoutMs: 0,
      run: async (jc) => {
        try {
          let resume = { resumedBytes: 0, restartReason: '' };
          const m = await runBackupPlan(plan, { zfs: ctx.zfs, store, log: jc.log, ...(ctx.keys ? { keys: ctx.keys } : {}), ...(ctx.tuning ? { tuning: ctx.tuning } : {}) }, {
            signal: jc.signal,
            onProgress: progressRelay(jc, 'backup', ctx.metrics),
            onResume: (r) => (resume = r),
          });
          if (m.dedup) {
            ctx.metrics?.dedupLogicalBytes.inc(m.size);
            ctx.metrics?.dedupAddedBytes.inc(m.dedup.addedBytes);
          }
          return {
            backup: {
              dataKey: m.dataKey,
              sizeBytes: m.size,
              streamHash: m.streamHash,
              parts: m.parts.length,
              previousSnapshot: m.previousSnapshot,
              localOnly: false,
              resumedBytes: resume.resumedBytes,
              resumeRestartReason: resume.restartReason,
              dedup: m.dedup !== undefined,
              addedBytes: m.dedup ? m.dedup.addedBytes : m.size,
              segments: m.dedup?.segments ?? 0,
              newSegments: m.dedup?.addedSegments ?? 0,
            },
          };
        } finally {
          await store.close();
        }
      },
    };
    handedOff = true;
    return { spec, dispose: () => store.close() };
  } finally {
    if (!handedOff) await store.close();
  }
}
