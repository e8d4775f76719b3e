import { requireAuthenticated } from '../keys/manifest-auth.js';
import { isIP } from 'node:net';
import { ErrorCode, SnapstreamError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';
import { listBackups, readManifest } from '../transfer/catalog.js';
import { planRestore } from '../plan/restore-plan.js';
import { validateBackupName } from '../model/layout.js';
import { type Manifest, isIncremental } from '../model/manifest.js';
import { DEFAULT_PART_SIZE } from '../transfer/part-plan.js';
import { runRestore } from '../transfer/restore.js';
import { restoreIdFor } from '../recovery/restore-markers.js';
import { verifyBackup } from '../transfer/verify.js';
import { parseDatasetName } from '../zfs/names.js';
import { type AgentContext, resolveTransfer } from './agent-context.js';
import type { Prepared } from './backup-job.js';
import { fingerprint, idempotencyKey } from './fingerprint.js';
import type { JobSpec } from './jobs/job-types.js';
import { JOB_OVERHEAD_BYTES } from './jobs/memory-for-transfer.js';
import { progressRelay } from './progress-relay.js';
import type { RestoreRequest__Output } from '../wire/generated/snapstream/v1/RestoreRequest.js';
import type { VerifyBackupRequest__Output } from '../wire/generated/snapstream/v1/VerifyBackupRequest.js';
import { resolveLocation } from './request-location.js';

/** RestoreRequest and VerifyBackupRequest as proto-loader decodes them (generated from agent.proto). */
export type RestoreMsg = RestoreRequest__Output;
export type VerifyMsg = VerifyBackupRequest__Output;

/**
 * Memory of a download: (window + 1) buffers of the largest part of every backup it will read (a
 * chain restore reads its bases too, and a base may have far larger parts than the named backup).
 */
export function downloadMemory(manifests: readonly Manifest[], window: number): number {
  let largest = DEFAULT_PART_SIZE;
  let encrypted = false;
  for (const m of manifests) {
    for (const p of m.parts) largest = Math.max(largest, p.size);
    if (m.encryption) encrypted = true;
  }
  // An encrypted part is held twice while it is decrypted (stored bytes and plaintext).
  return (window + 1) * largest * (encrypted ? 2 : 1) + JOB_OVERHEAD_BYTES;
}

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

  const store = await ctx.openStore(location.config);
  return withStore(ctx, store, async () => {
    // The named backup's manifest sizes the reservation and fails a wrong name now, not in a job.
    let manifest: Manifest | undefined;
    try {
      manifest = await readManifest(store, location.config.layout, backup, volume, signal, ctx.keys);
    } catch (e) {
      if (!(msg.allowUnverified && e instanceof SnapstreamError && e.code === ErrorCode.NOT_FOUND)) throw e;
    }
    // Refused as the RPC's own error, before a job exists (runRestore checks the whole chain again).
    if (manifest) requireAuthenticated([manifest], ctx.keys, ctx.config.keys?.allowUnauthenticated === true);
    // A chain restore reserves for the whole chain, planned now from the manifests (a broken chain
    // fails here, before the job is admitted).
    const plan =
      manifest && restoreAll && isIncremental(manifest)
        ? planRestore((await listBackups(store, location.config.layout, { volume, signal })).backups, { backup, volume }, true)
        : manifest
          ? [manifest]
          : [];
    const spec: JobSpec = {
      kind: 'restore',
      key,
      fingerprint: fp,
      description: `${location.describe} ${backup}/${volume}${restoreAll ? ' (whole chain)' : ''} -> ${target}`,
      memoryBytes: downloadMemory(plan, transfer.concurrency),
      stallTimeoutMs: transfer.stallTimeoutMs,
      run: async (jc) => {
        try {
          const r = await runRestore(
            {
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
            },
            { zfs: ctx.zfs, store, log: jc.log, ...(ctx.keys ? { keys: ctx.keys } : {}) },
            { signal: jc.signal, onProgress: progressRelay(jc, 'restore', ctx.metrics) },
          );
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
      memoryBytes: downloadMemory([manifest], transfer.concurrency),
      stallTimeoutMs: transfer.stallTimeoutMs,
      run: async (jc) => {
        try {
          const r = await verifyBackup(store, manifest, { log: jc.log, concurrency: transfer.concurrency, keys: ctx.keys, allowUnauthenticated: ctx.config.keys?.allowUnauthenticated === true }, {
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
