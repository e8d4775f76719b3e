import type { Logger } from 'pino';
import type { AgentClient } from '../controller/agent-client.js';
import { backupThroughAgent } from '../controller/backup-through-agent.js';
import { ErrorCode, toSnapstreamError } from '../errors.js';
import { planCleanup } from '../plan/cleanup-plan.js';
import type { Manifest } from '../model/manifest.js';

export interface AdhocBackupInput {
  backup: string;
  volume: string;
  dataset: string;
  location: Record<string, string>;
  manifests: readonly Manifest[];
}

/**
 * A backup not made by a schedule (`velero backup create`): always a full stream, and its snapshot
 * is destroyed afterwards whatever happened, as the operator does for ad-hoc backups (nothing will
 * continue from it). Re-running it after a crash finds the committed manifest and only cleans up.
 */
export async function runAdhocBackup(
  input: AdhocBackupInput,
  deps: { agent: AgentClient; log: Logger },
  signal?: AbortSignal,
): Promise<{ bytes: number }> {
  const { agent } = deps;
  const { backup, volume, dataset } = input;
  const log = deps.log.child({ backup, volume, dataset });
  const cleanup = async (succeeded: boolean): Promise<void> => {
    const pool = await agent.listSnapshots(dataset, signal).catch(() => undefined);
    const plan = planCleanup({ scheduled: false, succeeded, disableIncrementalBackups: true, snapName: backup, previousBase: '', ...(pool ? { poolSnapshots: pool } : {}) });
    for (const s of plan.destroy) {
      try {
        await agent.destroySnapshot(dataset, s, signal);
        log.info({ snapshot: s }, 'destroyed the ad-hoc backup snapshot');
      } catch (e) {
        log.warn({ snapshot: s, err: (e as Error).message }, 'could not destroy the ad-hoc backup snapshot');
      }
    }
  };
  const committed = input.manifests.find((m) => m.backup === backup && m.volume === volume);
  if (committed !== undefined) {
    log.info('backup already committed; cleaning up only');
    await cleanup(true);
    return { bytes: committed.size };
  }
  try {
    // backupName = snapName tells the agent there is no schedule (the manifest's schedule is "").
    const outcome = await backupThroughAgent(
      agent,
      { schedule: backup, snapName: backup, prevSnapName: '', volume, dataset, disableIncrementalBackups: true, location: input.location },
      { ...(signal ? { signal } : {}), createSnapshot: true },
    );
    log.info({ jobId: outcome.jobId, bytes: outcome.backup?.sizeBytes }, 'ad-hoc full backup committed');
    await cleanup(true);
    return { bytes: outcome.backup?.sizeBytes ?? 0 };
  } catch (e) {
    const err = toSnapstreamError(e);
    if (err.code !== ErrorCode.ABORTED) await cleanup(false);
    throw err;
  }
}
