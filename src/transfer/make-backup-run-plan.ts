import type { Logger } from 'pino';
import { throwIfAborted } from '../errors.js';
import type { Keyring } from '../keys/keyring.js';
import { type BackupRequest, type BackupRunPlan, backupTargetOf, planBackupRun } from '../plan/backup-run-plan.js';
import type { ObjectStore } from '../store/object-store.js';
import type { Zfs } from '../zfs/zfs.js';

export interface BackupProbeDeps {
  zfs: Zfs;
  store: Pick<ObjectStore, 'limits'>;
  log: Logger;
  keys?: Keyring;
}

/**
 * Makes the plan of one backup: validates the names, asks zfs what the pure planner needs (existence,
 * the send size estimate, guids; each once), and plans (plan/backup-run-plan.ts). The one place a
 * backup is planned: the CLI and the agent call it, then hand the plan to runBackupPlan.
 */
export async function makeBackupRunPlan(req: BackupRequest, deps: BackupProbeDeps, signal?: AbortSignal): Promise<BackupRunPlan> {
  const { zfs } = deps;
  const target = backupTargetOf(req);
  const { dataset, snapshot, previousSnapshot: prev } = target;
  zfs.checkAllowed(dataset);
  if (target.baseIgnored) {
    deps.log.info({ previousSnapshot: req.previousSnapshot }, 'disableIncrementalBackups is set: sending a full stream, ignoring the previous snapshot');
  }
  // Existence first: the estimate and guids of a missing snapshot would fail with a less clear error.
  const [snapshotExists, baseExists] = await Promise.all([zfs.exists(dataset, snapshot, signal), prev ? zfs.exists(dataset, prev, signal) : Promise.resolve(true)]);
  const present = snapshotExists && baseExists;
  const [estimate, snapshotGuid, previousSnapshotGuid] = present
    ? await Promise.all([
        // The estimate only sizes parts, the reservation and the ETA: a failure to get one is not fatal.
        zfs.estimateSendSize(dataset, snapshot, prev, signal).catch((e: unknown) => {
          throwIfAborted(signal);
          deps.log.warn({ err: (e as Error).message }, 'no send size estimate; parts start at the default size');
          return undefined;
        }),
        zfs.guid(dataset, snapshot, signal),
        prev ? zfs.guid(dataset, prev, signal) : Promise.resolve(''),
      ])
    : [undefined, '', ''];
  return planBackupRun(req, target, {
    snapshotExists,
    baseExists,
    estimate,
    snapshotGuid,
    previousSnapshotGuid,
    sendArgs: zfs.sendArgs(dataset, snapshot, prev),
    limits: deps.store.limits,
    encrypted: !!deps.keys?.master,
  });
}
