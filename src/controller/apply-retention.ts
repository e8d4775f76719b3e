import type { Logger } from 'pino';
import { ErrorCode, isSnapstreamError } from '../errors.js';
import { vetDestroys } from '../plan/destroy-guard.js';
import { planRetention } from '../plan/retention-plan.js';
import type { Manifest } from '../model/manifest.js';
import type { AgentClient } from './agent-client.js';
import type { BackupCatalog } from './backup-catalog.js';

export interface RetentionInput {
  schedule: string;
  now: Date;
  ttlMs?: number;
  keepLast?: number;
  /** h14-cluster: destroy an expired backup's snapshot on its manifest's dataset, whatever `volumes` says. */
  anyDataset?: boolean;
  /** The schedule's volumes and their datasets, to clean expired backups' snapshots off the pool. */
  volumes: readonly { volume: string; dataset: string }[];
  manifests: readonly Manifest[];
}

export interface RetentionOutcome {
  deleted: string[];
  /** Expired but kept: a live incremental still needs them. */
  blocked: { backup: string; neededBy: string[] }[];
  /** Kept backups whose chain is already broken (cannot be restored). */
  broken: { backup: string; reason: string }[];
  /** Backups of the schedule left, all volumes. */
  remaining: number;
}

/**
 * Applies the schedule's TTL / keepLast per volume (planRetention decides; this executes). Each
 * backup goes manifest first, then data, dependents before their bases. The pool snapshot named
 * after an expired backup is destroyed too when it is still there (an incremental base that fell
 * out of use), so expiry frees pool space as well as bucket space.
 */
export async function applyRetention(
  input: RetentionInput,
  deps: { catalog: BackupCatalog; agent: AgentClient; log: Logger; onDestroyed?: (snap: string) => void; onRefused?: (snap: string, reason: string) => void; isTrusted?: (m: Manifest) => boolean },
  signal?: AbortSignal,
): Promise<RetentionOutcome> {
  const out: RetentionOutcome = { deleted: [], blocked: [], broken: [], remaining: 0 };
  if (input.ttlMs === undefined && input.keepLast === undefined) {
    out.remaining = input.manifests.filter((m) => m.schedule === input.schedule).length;
    return out;
  }
  const volumes = new Set([...input.volumes.map((v) => v.volume), ...input.manifests.filter((m) => m.schedule === input.schedule).map((m) => m.volume)]);
  const deletedSet = new Set<Manifest>();
  for (const volume of volumes) {
    const plan = planRetention({
      manifests: input.manifests,
      schedule: input.schedule,
      volume,
      now: input.now,
      ...(input.ttlMs !== undefined ? { ttlMs: input.ttlMs } : {}),
      ...(input.keepLast !== undefined ? { keepLast: input.keepLast } : {}),
    });
    out.blocked.push(...plan.promotionNeeded);
    out.broken.push(...plan.broken);
    const dataset = input.volumes.find((v) => v.volume === volume)?.dataset;
    for (const name of plan.delete) {
      const m = input.manifests.find((x) => x.backup === name && x.volume === volume)!;
      await deps.catalog.delete(m, signal);
      deletedSet.add(m);
      out.deleted.push(name);
      deps.log.info({ backup: name, volume, finishedAt: m.finishedAt }, 'backup expired and deleted');
      // On a cluster (anyDataset) the snapshot is wherever the manifest says it was sent from.
      const target = input.anyDataset === true ? m.dataset : dataset;
      if (target !== undefined && target === m.dataset) {
        // The manifest came from the bucket: only a snapshot of this schedule's naming with the
        // guid it recorded is destroyed (destroy-guard.ts); anything else is reported and kept.
        const vetted = vetDestroys({
          schedule: input.schedule,
          dataset: target,
          candidates: [{ snapshot: m.snapshot, manifest: m }],
          ...(deps.isTrusted ? { isTrusted: deps.isTrusted } : {}),
        });
        for (const r of vetted.refused) {
          deps.onRefused?.(r.snapshot, r.reason);
          deps.log.warn({ snapshot: r.snapshot, reason: r.reason, backup: name }, `not destroying the expired backup's snapshot: ${r.message}`);
        }
        for (const v of vetted.destroy) {
          try {
            if (await deps.agent.destroySnapshot(target, v.snapshot, signal, v.expectedGuid)) {
              deps.onDestroyed?.(v.snapshot);
              deps.log.info({ snapshot: v.snapshot, dataset: target }, "destroyed the expired backup's snapshot");
            }
          } catch (e) {
            if (isSnapstreamError(e, ErrorCode.SNAPSHOT_MISMATCH)) deps.onRefused?.(v.snapshot, 'guid-mismatch');
            deps.log.warn({ snapshot: v.snapshot, err: (e as Error).message }, "could not destroy the expired backup's snapshot");
          }
        }
      }
    }
    for (const b of plan.promotionNeeded) {
      deps.log.info({ backup: b.backup, volume, neededBy: b.neededBy }, 'backup expired but kept: live incremental backups depend on it');
    }
    for (const b of plan.broken) deps.log.warn({ backup: b.backup, volume, reason: b.reason }, 'backup cannot be restored: its chain is broken');
  }
  out.remaining = input.manifests.filter((m) => m.schedule === input.schedule && !deletedSet.has(m)).length;
  return out;
}
