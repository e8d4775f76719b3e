import { isSnapstreamError } from '../errors.js';
import { manifestKeyFor, type Manifest } from '../model/manifest.js';
import { backupTime, compareBackups } from './backup-order.js';
import { planRestore } from './restore-plan.js';

export interface RetentionInput {
  /** Manifests of the location (at least all of the volume's); candidates are filtered from them. */
  manifests: readonly Manifest[];
  schedule: string;
  volume: string;
  now: Date;
  /** Backups older than this expire. */
  ttlMs?: number;
  /** Only the newest N backups of the schedule and volume are kept. */
  keepLast?: number;
}

export type DeleteStep = { op: 'delete-manifest'; backup: string; key: string } | { op: 'delete-data'; backup: string; key: string };

export interface RetentionPlan {
  /** Backups to delete, newest first (dependents go before their bases). */
  delete: string[];
  /** What to do, in order: per backup its manifest first, then its data. */
  steps: DeleteStep[];
  /** Expired backups kept because a kept backup's chain needs them; a full backup would free them. */
  promotionNeeded: { backup: string; neededBy: string[] }[];
  /** Kept backups whose chain is already broken (they cannot be restored), for reporting. */
  broken: { backup: string; reason: string }[];
}

/**
 * Which backups of a schedule and volume to delete. A backup expires when it is older than the TTL
 * or beyond the newest keepLast; the newest backup never expires, so a paused or failing schedule
 * keeps at least one restorable backup and the next incremental keeps its base.
 *
 * Full backups expire independently. An expired backup that a kept backup still needs (it is in
 * the kept backup's restore chain, resolved with the same rules as a restore) is not deleted but
 * reported in `promotionNeeded`: chains go away only when every member that needs them has expired
 * (velero-plugin#119/#37: TTL deleting a base silently broke every later backup).
 *
 * Deleting the manifest first makes the backup disappear from listings at once and never leaves a
 * manifest without data; deleting dependents before their bases means a crash half-way leaves no
 * listed backup with a missing base.
 */
export function planRetention(input: RetentionInput): RetentionPlan {
  const volumeBackups = input.manifests.filter((m) => m.volume === input.volume);
  const candidates = volumeBackups.filter((m) => m.schedule === input.schedule).sort(compareBackups);
  const now = input.now.getTime();

  const expired = new Set<Manifest>();
  candidates.forEach((m, i) => {
    if (i === candidates.length - 1) return; // the newest
    const age = now - backupTime(m);
    if (input.ttlMs !== undefined && age > input.ttlMs) expired.add(m);
    if (input.keepLast !== undefined && i < candidates.length - input.keepLast) expired.add(m);
  });

  // Everything not expired is live: the schedule's kept backups and every other backup of the volume.
  const neededBy = new Map<Manifest, string[]>();
  const broken: RetentionPlan['broken'] = [];
  for (const live of volumeBackups) {
    if (expired.has(live)) continue;
    let chain: Manifest[];
    try {
      chain = planRestore(volumeBackups, { backup: live.backup, volume: live.volume }, true);
    } catch (e) {
      if (!isSnapstreamError(e)) throw e;
      if (live.schedule === input.schedule) broken.push({ backup: live.backup, reason: e.message });
      continue;
    }
    for (const member of chain) {
      if (member === live) continue;
      const list = neededBy.get(member) ?? [];
      list.push(live.backup);
      neededBy.set(member, list);
    }
  }

  const promotionNeeded: RetentionPlan['promotionNeeded'] = [];
  const toDelete: Manifest[] = [];
  for (const m of candidates) {
    if (!expired.has(m)) continue;
    const by = neededBy.get(m);
    if (by !== undefined) promotionNeeded.push({ backup: m.backup, neededBy: by });
    else toDelete.push(m);
  }
  toDelete.reverse();
  const steps: DeleteStep[] = toDelete.flatMap((m) => [
    { op: 'delete-manifest' as const, backup: m.backup, key: manifestKeyFor(m.dataKey) },
    { op: 'delete-data' as const, backup: m.backup, key: m.dataKey },
  ]);
  return { delete: toDelete.map((m) => m.backup), steps, promotionNeeded, broken };
}

/**
 * Why the next backup of a schedule and volume must be full although incremental backups are on,
 * or undefined when it need not be. In incremental mode every backup depends on all before it, so
 * without a fresh full backup now and then nothing could ever expire: when the newest backup's chain
 * holds a backup that retention would delete, the next backup starts a new chain ("promotion"), and
 * the old chain is deleted once all of its members have expired.
 */
export function promotionReason(input: RetentionInput): string | undefined {
  const candidates = input.manifests.filter((m) => m.volume === input.volume && m.schedule === input.schedule).sort(compareBackups);
  const newest = candidates.at(-1);
  if (newest === undefined) return undefined;
  const plan = planRetention(input);
  const held = plan.promotionNeeded.filter((p) => p.neededBy.includes(newest.backup)).map((p) => p.backup);
  if (held.length === 0) return undefined;
  return `full: expired backup(s) ${held.join(', ')} are kept only because the newest backup's chain needs them; a full backup starts a new chain so they can go`;
}
