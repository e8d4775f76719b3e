import { requireAuthenticated } from '../keys/manifest-auth.js';
import { isIP } from 'node:net';
import { ErrorCode, SnapstreamError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';
import { readManifest } from '../transfer/catalog.js';
import { validateBackupName } from '../model/layout.js';
import { type RestoreRequest, runRestorePlan } from '../transfer/restore.js';
import { makeRestoreRunPlan } from '../transfer/make-restore-run-plan.js';
import { restoreIdFor } from '../model/restore-markers.js';
import { verifyBackup } from '../transfer/verify.js';
import { parseDatasetName } from '../zfs/names.js';
import { type AgentContext, resolveTransfer } from './agent-context.js';
import type { Prepared } from './backup-job.js';
import { fingerprint, idempotencyKey } from './fingerprint.js';
import type { JobSpec } from './jobs/job-types.js';
import { downloadMemoryBound } from '../plan/memory-bound.js';
import { progressRelay } from './progress-relay.js';
import type { RestoreRequest__Output } from '../wire/generated/snapstream/v1/RestoreRequest.js';
import type { VerifyBackupRequest__Output } from '../wire/generated/snapstream/v1/VerifyBackupRequest.js';
import { resolveLocation } from './request-location.js';

/** RestoreRequest and VerifyBackupRequest as proto-loader decodes them (generated from agent.proto). */
export type RestoreMsg = RestoreRequest__Output;
export type VerifyMsg = VerifyBackupRequest__Output;

async function withStore<T>(ctx: AgentContext, store: ObjectStore, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    await store.close();
    throw e;
  }
}

/**
 * Validates a Restore request into a job. Flags can come from the request or, as with the stock
 * plugin, from the VolumeSnapshotLocation config (either one turns them on).
 */
export async function prepareRestore(msg: RestoreMsg, ctx: AgentContext, signal: AbortSignal): Promise<Prepared> {
  if (msg.localRestore) {
    throw new SnapstreamError(
      ErrorCode.INVALID_ARGUMENT,
      'restore: localRestore (clone from a snapshot on this node) is not supported by snapstream yet; restore from the location instead',
    );
  }
  if (!msg.targetDataset) throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, 'restore: targetDataset is required');
  const target = parseDatasetName(msg.targetDataset);
  ctx.zfs.checkAllowed(target);
  const backup = validateBackupName(msg.backupName, 'backupName');
  const volume = validateBackupName(msg.volumeName, 'volumeName');
  const location = resolveLocation(msg.location, msg.restoreSrc, 'restore', ctx.config.locationGrants);
  const restoreAll = msg.restoreAllIncrementalSnapshots || location.behaviour?.restoreAllIncrementalSnapshots === true;
  const autoSetTargetIp = msg.autoSetTargetIp || location.behaviour?.autoSetTargetIP === true;
  if (autoSetTargetIp && !isIP(msg.targetIp)) {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `restore: autoSetTargetIP needs targetIp to be an IPv4 or IPv6 address, got ${JSON.stringify(msg.targetIp)}`);
  }
  const targetIp = autoSetTargetIp ? msg.targetIp : '';
  const transfer = resolveTransfer(msg.transfer, undefined, ctx.config);
  const fp = fingerprint({ kind: 'restore', target, backup, volume, restoreAll, targetIp, location: location.identity, allowUnverified: msg.allowUnverified, ...(msg.allowStreamProperties ? { allowStreamProperties: true } : {}) });
  const key = idempotencyKey('restore', msg.idempotencyKey, fp);
  const joined = ctx.jobs.lookup(key, fp);
  if (joined) return { joined };

  const request: RestoreRequest = {
    backup,
    volume,
    layout: location.config.layout,
    target,
    restoreAllIncrementalSnapshots: restoreAll,
    allowUnverified: msg.allowUnverified,
    allowUnauthenticated: ctx.config.keys?.allowUnauthenticated === true,
    // The same request (same key) continues what its crashed attempt left.
    restoreId: restoreIdFor(key),
    replacePartial: msg.replacePartial === true,
    allowStreamProperties: msg.allowStreamProperties === true,
    ...(targetIp ? { targetIp } : {}),
    transfer: {
      concurrency: transfer.concurrency,
      stallTimeoutMs: transfer.stallTimeoutMs,
      ...(transfer.rateLimitBytesPerSec !== undefined ? { rateLimitBytesPerSec: transfer.rateLimitBytesPerSec } : {}),
    },
  };
  const store = await ctx.openStore(location.config);
  return withStore(ctx, store, async () => {
    // Planned once, here: a wrong name, a forged manifest or a broken chain fails the RPC before a job
    // exists, and the job reserves memory for the very chain it will read.
    const plan = await makeRestoreRunPlan(request, { zfs: ctx.zfs, store, log: ctx.log, ...(ctx.keys ? { keys: ctx.keys } : {}) }, signal);
    const spec: JobSpec = {
      kind: 'restore',
      key,
      fingerprint: fp,
      description: `${location.describe} ${backup}/${volume}${restoreAll ? ' (whole chain)' : ''} -> ${target}`,
      memoryBytes: plan.memoryBytes,
      // The pipeline's ProgressMeter watches for stalls (the plan carries the timeout).
      stallTimeoutMs: 0,
      run: async (jc) => {
        try {
          const r = await runRestorePlan(plan, { zfs: ctx.zfs, store, log: jc.log, ...(ctx.keys ? { keys: ctx.keys } : {}) }, {
            signal: jc.signal,
            onProgress: progressRelay(jc, 'restore', ctx.metrics),
          });
          return { restore: { targetDataset: r.target, snapshot: r.snapshot, restoredBackups: r.restored.map((m) => m.backup), targetIp } };
        } finally {
          await store.close();
        }
      },
    };
    return { spec, dispose: () => store.close() };
  });
}

/** VerifyBackup: read everything back against the manifest, as a job (it reads the whole stream). */
export async function prepareVerify(msg: VerifyMsg, ctx: AgentContext, signal: AbortSignal): Promise<Prepared> {
  const backup = validateBackupName(msg.backupName, 'backupName');
  const volume = validateBackupName(msg.volumeName, 'volumeName');
  const location = resolveLocation(msg.location, '', 'verify', ctx.config.locationGrants);
  const transfer = resolveTransfer(msg.transfer, undefined, ctx.config);
  const fp = fingerprint({ kind: 'verify', backup, volume, location: location.identity });
  // A verify is worth repeating later (objects can rot), so a finished one is joined only while kept.
  const key = idempotencyKey('verify', undefined, fp);
  const joined = ctx.jobs.lookup(key, fp);
  if (joined && joined.phase !== 'Done') return { joined };
  const store = await ctx.openStore(location.config);
  return withStore(ctx, store, async () => {
    const manifest = await readManifest(store, location.config.layout, backup, volume, signal, ctx.keys);
    requireAuthenticated([manifest], ctx.keys, ctx.config.keys?.allowUnauthenticated === true);
    const spec: JobSpec = {
      kind: 'verify',
      key: joined ? `${key}:${Date.now()}` : key,
      fingerprint: fp,
      description: `verify ${location.describe} ${backup}/${volume}`,
      memoryBytes: downloadMemoryBound([manifest], transfer.concurrency),
      // The pipeline's ProgressMeter watches for stalls (the plan carries the timeout).
      stallTimeoutMs: 0,
      run: async (jc) => {
        try {
          const r = await verifyBackup(store, manifest, { log: jc.log, concurrency: transfer.concurrency, stallTimeoutMs: transfer.stallTimeoutMs, keys: ctx.keys, allowUnauthenticated: ctx.config.keys?.allowUnauthenticated === true }, {
            signal: jc.signal,
            onProgress: progressRelay(jc, 'verify', ctx.metrics),
          });
          return { verify: { sizeBytes: r.bytes, streamHash: manifest.streamHash, parts: r.parts } };
        } finally {
          await store.close();
        }
      },
    };
    return { spec, dispose: () => store.close() };
  });
}
