import type { Logger } from 'pino';
import { SnapstreamError, toSnapstreamError } from '../errors.js';
import type { DatasetName } from '../zfs/names.js';
import type { Zfs } from '../zfs/zfs.js';
import { RESTORE_PROPERTY, RESTORE_STATE_PROPERTY, SWAP_OLD_PROPERTY, oldNameFor } from '../model/restore-markers.js';

/**
 * Replaces `target` with the fully received `staging` copy so that at every instant one complete
 * dataset exists under a known name:
 *   1. staging is marked complete (recovery may now finish the swap instead of undoing it);
 *   2. target is marked with the swap-old property and renamed aside to <target>-snapstream-old-<hex>;
 *   3. staging is renamed to target;
 *   4. the restore markers are cleared on target and the old copy is destroyed.
 * A crash at any point is repaired by the recovery pass (recover-datasets.ts): before 3 the old copy
 * is renamed back (or the complete staged copy moved in), after 3 the old copy is destroyed.
 */
export async function swapIn(zfs: Zfs, staging: DatasetName, target: DatasetName, signal: AbortSignal, log: Logger): Promise<void> {
  const old = oldNameFor(target);
  let parked = false;
  try {
    await zfs.setUserProperty(staging, RESTORE_STATE_PROPERTY, 'complete', signal);
    await zfs.setUserProperty(target, SWAP_OLD_PROPERTY, target, signal);
    await zfs.rename(target, old, signal);
    parked = true;
    await zfs.rename(staging, target, signal);
    parked = false;
  } catch (e) {
    const err = toSnapstreamError(e);
    if (parked) {
      // Put the old dataset back rather than leave the target name empty.
      await zfs
        .rename(old, target)
        .then(() => zfs.ensureMounted(target))
        .catch((re) => log.error({ err: (re as Error).message }, 'could not move the old dataset back; the recovery pass will'));
    }
    await zfs.inheritProperty(target, SWAP_OLD_PROPERTY).catch(() => {});
    throw new SnapstreamError(
      err.code,
      `the restore succeeded into ${staging}, but replacing ${target} with it failed (${err.message}); ` +
        `${staging} is kept and ${target} is unchanged: the agent's recovery pass (snapstream cleanup) finishes the swap or removes the copy`,
      { cause: e, details: { staging, target } },
    );
  }
  await clearRestoreMarkers(zfs, target, signal);
  await zfs.destroyDataset(old, signal).catch((e) => log.warn({ dataset: old, err: (e as Error).message }, 'could not destroy the old dataset; the recovery pass will'));
  log.info({ target }, 'replaced the existing dataset with the restored one');
}

/** A finished restore: the dataset is the user's now, nothing marks it as snapstream's work. */
export async function clearRestoreMarkers(zfs: Zfs, ds: DatasetName, signal?: AbortSignal): Promise<void> {
  // The restore id first: a crash between the two leaves only "restore-state=complete", which
  // recovery clears; the other order would leave what looks like a half-received restore.
  await zfs.inheritProperty(ds, RESTORE_PROPERTY, signal);
  await zfs.inheritProperty(ds, RESTORE_STATE_PROPERTY, signal);
  await zfs.inheritProperty(ds, SWAP_OLD_PROPERTY, signal);
}
