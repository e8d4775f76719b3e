import type { Manifest } from '../model/manifest.js';
import { isScheduledBackupName } from './scheduled-name.js';

/** A snapshot cleanup or retention wants to destroy, and the manifest that names it, if any. */
export interface DestroyCandidate {
  snapshot: string;
  /**
   * The manifest the name came from (a previous base, an expired backup). Undefined for a snapshot
   * this run itself made or found by its own naming (its own snapshot, orphans of its slots).
   */
  manifest?: Manifest;
}

export interface VettedDestroy {
  snapshot: string;
  /** Destroy only if the snapshot still has this guid (checked by the agent right before). */
  expectedGuid?: string;
}

export interface RefusedDestroy {
  snapshot: string;
  reason: 'foreign-name' | 'other-dataset' | 'no-guid' | 'unauthenticated';
  message: string;
}

export interface DestroyGuardInput {
  schedule: string;
  dataset: string;
  candidates: readonly DestroyCandidate[];
  /**
   * Hook for authenticated manifests (h10-keys): when a key is configured, return false for a
   * manifest that is not authenticated, and its snapshot is never destroyed. Default: all trusted.
   */
  isTrusted?: (m: Manifest) => boolean;
}

/**
 * Destroy only what this schedule made. Manifests come from the bucket, and anyone who can write
 * the bucket can plant one naming any snapshot (`precious-manual`), so a name from a manifest is
 * destroyed only when it has the schedule's own naming (`<schedule>-<YYYYMMDDhhmmss>`), belongs to
 * this dataset, and comes with the guid the manifest recorded, which the agent checks before it
 * destroys (a snapshot re-created under the same name is kept). Everything else is refused, for the
 * caller to report. Pure.
 */
export function vetDestroys(input: DestroyGuardInput): { destroy: VettedDestroy[]; refused: RefusedDestroy[] } {
  const destroy: VettedDestroy[] = [];
  const refused: RefusedDestroy[] = [];
  const trusted = input.isTrusted ?? (() => true);
  for (const c of input.candidates) {
    const s = c.snapshot;
    if (!isScheduledBackupName(s, input.schedule)) {
      refused.push({ snapshot: s, reason: 'foreign-name', message: `snapshot "${s}" is not named like a backup of schedule "${input.schedule}" (<schedule>-<YYYYMMDDhhmmss>); snapstream did not make it` });
      continue;
    }
    const m = c.manifest;
    if (m === undefined) {
      destroy.push({ snapshot: s });
      continue;
    }
    if (!trusted(m)) {
      refused.push({ snapshot: s, reason: 'unauthenticated', message: `the manifest of backup "${m.backup}" naming snapshot "${s}" is not authenticated` });
    } else if (m.dataset !== input.dataset || m.snapshot !== s) {
      refused.push({ snapshot: s, reason: 'other-dataset', message: `the manifest of backup "${m.backup}" names ${m.dataset}@${m.snapshot}, not ${input.dataset}@${s}` });
    } else if (m.snapshotGuid === '') {
      refused.push({ snapshot: s, reason: 'no-guid', message: `the manifest of backup "${m.backup}" records no guid for snapshot "${s}", so it cannot be told from another snapshot of that name` });
    } else {
      destroy.push({ snapshot: s, expectedGuid: m.snapshotGuid });
    }
  }
  return { destroy, refused };
}
