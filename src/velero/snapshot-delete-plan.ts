import { isSnapstreamError } from '../errors.js';
import { compareBackups } from '../plan/backup-order.js';
import { planRestore } from '../plan/restore-plan.js';
import type { Manifest } from '../model/manifest.js';

export interface SnapshotDeleteInput {
  /** Committed backups of the location (at least all of the volume's). */
  manifests: readonly Manifest[];
  backup: string;
  volume: string;
  /** Backups of the volume whose deletion Velero asked for earlier but that were kept (deferred). */
  deferred: ReadonlySet<string>;
}

export interface SnapshotDeletePlan {
  /** Backups to delete now, dependents before their bases (so a crash never strands a dependent). */
  delete: Manifest[];
  /** True when the requested backup must stay for now: live backups' chains need it. */
  deferred: boolean;
  /** The live backups whose restore chain holds the requested one. */
  neededBy: string[];
}

/**
 * Velero deletes a snapshot when its Backup expires or is deleted, oldest first and one at a time,
 * knowing nothing of incremental chains. Deleting a base would silently break every later backup
 * of the schedule (velero-plugin#119/#37), so a backup that a live backup's chain needs is not
 * deleted but remembered as deferred; Velero's record of it goes, the objects stay. Each later
 * deletion re-plans: every deferred or requested backup no live chain needs any more goes then.
 * A backup is live while Velero still has it, i.e. it is neither requested nor deferred.
 */
export function planSnapshotDelete(input: SnapshotDeleteInput): SnapshotDeletePlan {
  const mine = input.manifests.filter((m) => m.volume === input.volume);
  const dead = new Set([...input.deferred, input.backup]);
  const needed = new Map<string, string[]>();
  for (const live of mine) {
    if (dead.has(live.backup)) continue;
    let chain: Manifest[];
    try {
      chain = planRestore(mine, { backup: live.backup, volume: input.volume }, true);
    } catch (e) {
      // A live backup whose chain is already broken needs nothing that still exists.
      if (isSnapstreamError(e)) continue;
      throw e;
    }
    for (const member of chain) {
      if (member === live) continue;
      needed.set(member.backup, [...(needed.get(member.backup) ?? []), live.backup]);
    }
  }
  const neededBy = needed.get(input.backup) ?? [];
  const del = mine.filter((m) => dead.has(m.backup) && !needed.has(m.backup)).sort(compareBackups).reverse();
  return { delete: del, deferred: neededBy.length > 0, neededBy };
}

/**
 * Why the next backup of a schedule must start a new chain although incremental backups are on,
 * or undefined: when the newest backup's chain holds a deferred deletion, continuing the chain
 * would keep that backup forever; a full backup lets it go once the old chain's backups expire.
 */
export function chainRetirementReason(manifests: readonly Manifest[], schedule: string, volume: string, deferred: ReadonlySet<string>): string | undefined {
  if (deferred.size === 0) return undefined;
  const mine = manifests.filter((m) => m.volume === volume);
  const newest = mine.filter((m) => m.schedule === schedule).sort(compareBackups).at(-1);
  if (newest === undefined) return undefined;
  let chain: Manifest[];
  try {
    chain = planRestore(mine, { backup: newest.backup, volume }, true);
  } catch {
    return undefined;
  }
  const held = chain.filter((m) => deferred.has(m.backup)).map((m) => m.backup);
  if (held.length === 0) return undefined;
  return `full: the chain of the last backup holds ${held.join(', ')}, whose deletion Velero asked for; a new chain lets them go`;
}
