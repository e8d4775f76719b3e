import { ErrorCode, SnapstreamError } from '../errors.js';
import { type RecoveryReport, agentRoots, runRecovery } from '../recovery/run-recovery.js';
import type { ObjectStore } from '../store/object-store.js';
import { backupsPrefix } from '../model/layout.js';
import { type DatasetName, parseDatasetName } from '../zfs/names.js';
import type { AgentContext } from './agent-context.js';
import type { CleanupRequest__Output } from '../wire/generated/snapstream/v1/CleanupRequest.js';
import type { CleanupResponse } from '../wire/generated/snapstream/v1/CleanupResponse.js';
import { resolveLocation } from './request-location.js';

/** CleanupRequest as proto-loader decodes it (generated from agent.proto). */
export type CleanupMsg = CleanupRequest__Output;

/** The Cleanup RPC: one recovery pass over what the request names, reported entry by entry. */
export async function cleanupRpc(msg: CleanupMsg, ctx: AgentContext, signal: AbortSignal): Promise<CleanupResponse> {
  const wantStore = Boolean(msg.location && (msg.location.kind || msg.location.url || msg.location.vsl || msg.location.name));
  let roots: DatasetName[] = [];
  if (msg.dataset) {
    const ds = parseDatasetName(msg.dataset);
    ctx.zfs.checkAllowed(ds);
    roots = [ds];
  } else if (msg.datasets) {
    roots = await agentRoots(ctx.zfs, ctx.config.allowedPools, ctx.config.allowAnyPool, signal);
  }
  if (!wantStore && roots.length === 0) {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, 'cleanup: nothing to clean; set location (store side) and/or datasets=true or dataset (ZFS side)');
  }
  let store: ObjectStore | undefined;
  let storePrefix: string | undefined;
  if (wantStore) {
    const loc = resolveLocation(msg.location, '', 'cleanup', ctx.config.locationGrants);
    storePrefix = backupsPrefix(loc.config.layout);
    store = await ctx.openStore(loc.config);
  }
  try {
    const report = await runRecovery({
      zfs: ctx.zfs,
      roots,
      store,
      storePrefix,
      graceSeconds: msg.olderThanSeconds || ctx.config.recoveryGraceSeconds,
      dryRun: msg.dryRun === true,
      signal,
      log: ctx.log,
    });
    return reportToProto(report);
  } finally {
    await store?.close();
  }
}

export function reportToProto(r: RecoveryReport): CleanupResponse {
  return {
    entries: [
      ...r.datasets.map((d) => ({ kind: 'dataset', name: d.dataset, action: d.action, reason: d.reason, to: d.to ?? '' })),
      ...r.store.map((s) => ({ kind: s.kind, name: s.key, action: s.action, reason: s.reason, to: '' })),
    ],
    datasetsDestroyed: r.summary.datasetsDestroyed,
    datasetsRenamed: r.summary.datasetsRenamed,
    markersCleared: r.summary.markersCleared,
    uploadsRemoved: r.summary.uploadsRemoved,
    recordsRemoved: r.summary.recordsRemoved,
    kept: r.summary.kept,
    failed: r.summary.failed,
    dryRun: r.dryRun,
    graceSeconds: r.graceSeconds,
  };
}
