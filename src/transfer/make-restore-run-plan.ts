import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError } from '../errors.js';
import type { Keyring } from '../keys/keyring.js';
import { requireAuthenticated, requireAuthenticatedLegacy } from '../keys/manifest-auth.js';
import { dataKeyFor } from '../model/layout.js';
import { planRestore } from '../plan/restore-plan.js';
import { type RestoreRequest, type RestoreRunPlan, type RestoreSource, checkRestoreRequest, planRestoreRun } from '../plan/restore-run-plan.js';
import type { ObjectStore } from '../store/object-store.js';
import type { Zfs } from '../zfs/zfs.js';
import { listBackups, readManifest } from './catalog.js';

export interface RestoreProbeDeps {
  zfs: Pick<Zfs, 'checkAllowed'>;
  store: ObjectStore;
  log: Logger;
  keys?: Keyring;
}

/**
 * Makes the plan of one restore: checks the request, reads the named manifest (or, for a chain, lists
 * the volume's manifests and resolves the chain from them), and checks authentication, so not one
 * byte of a forged backup is fetched. The one place a restore is planned: the CLI and the agent call
 * it, then hand the plan to runRestorePlan.
 */
export async function makeRestoreRunPlan(req: RestoreRequest, deps: RestoreProbeDeps, signal?: AbortSignal): Promise<RestoreRunPlan> {
  deps.zfs.checkAllowed(req.target);
  checkRestoreRequest(req);
  const source = await sourceOf(req, deps, signal);
  if (source === 'legacy') requireAuthenticatedLegacy(req.backup, req.volume, deps.keys, req.allowUnauthenticated === true);
  else requireAuthenticated(source, deps.keys, req.allowUnauthenticated === true);
  return planRestoreRun(req, source);
}

async function sourceOf(req: RestoreRequest, deps: RestoreProbeDeps, signal?: AbortSignal): Promise<RestoreSource> {
  const { store, keys, log } = deps;
  if (req.restoreAllIncrementalSnapshots) {
    const cat = await listBackups(store, req.layout, { volume: req.volume, ...(signal ? { signal } : {}), log, keys });
    return planRestore(cat.backups, { backup: req.backup, volume: req.volume }, true);
  }
  try {
    return [await readManifest(store, req.layout, req.backup, req.volume, signal, keys)];
  } catch (e) {
    if (!(e instanceof SnapstreamError && e.code === ErrorCode.NOT_FOUND)) throw e;
    const dataKey = dataKeyFor(req.layout, req.backup, req.volume);
    const legacy = await store.head(dataKey, { signal });
    if (!legacy) throw e;
    if (!req.allowUnverified) {
      throw new SnapstreamError(
        ErrorCode.NOT_FOUND,
        `backup ${req.backup} of volume ${req.volume} has data (${dataKey}) but no snapstream manifest: it was written by another tool ` +
          'or never committed. It cannot be verified; restore it anyway with --allow-unverified (allowUnverified).',
        { details: { dataKey } },
      );
    }
    return 'legacy';
  }
}
