import { ErrorCode, SnapstreamError } from '../errors.js';
import { isIncremental, type Manifest } from '../model/manifest.js';

export interface RestoreTarget {
  backup: string;
  volume: string;
}

/**
 * Decides which backups a restore applies, in order (full base first, the named backup last), from
 * the manifests in the bucket. Pure: the caller lists the manifests.
 *
 * Today's plugin sorts `backups/<schedule>*` by name and silently skips a missing object, so a broken
 * chain is found by `zfs recv` half-way through ("does not match incremental source",
 * zfs-localpv#429). Here the whole chain is resolved from the manifests' parent pointers before a
 * single byte is received, and any gap is refused up front with BASE_MISSING.
 *
 * Link rules (cur -> its base), among manifests of the same volume AND dataset (one Velero backup
 * names the snapshot of every volume after itself, so snapshot names alone are not unique):
 *  1. the base's `snapshot` equals cur.previousSnapshot;
 *  2. when cur.previousSnapshotGuid is known, a base with that exact snapshotGuid is required; a base
 *     whose guid is unknown ("") is accepted only when no base with a matching guid exists (zfs recv
 *     still checks the guid); a base with a different known guid is a different snapshot that
 *     happens to share the name (dataset re-created) and never qualifies;
 *  3. when more than one candidate is left, the one named by cur.previousBackup wins;
 *  4. still more than one: ambiguous, refused (BASE_MISSING, details.reason "ambiguous").
 * A backup reached twice means the manifests form a cycle: refused (details.reason "cycle").
 */
export function planRestore(manifests: readonly Manifest[], target: RestoreTarget, restoreAll: boolean): Manifest[] {
  if (target.backup === '' || target.volume === '') {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, 'restore needs a backup name and a volume name', {
      details: { ...target },
    });
  }
  const named = manifests.filter((m) => m.backup === target.backup && m.volume === target.volume);
  if (named.length === 0) {
    throw new SnapstreamError(
      ErrorCode.NOT_FOUND,
      `backup "${target.backup}" of volume "${target.volume}" was not found (no manifest; an upload that never committed does not count)`,
      { details: { ...target } },
    );
  }
  if (named.length > 1) {
    throw new SnapstreamError(
      ErrorCode.INVALID_ARGUMENT,
      `backup "${target.backup}" of volume "${target.volume}" has ${named.length} manifests (${named.map((m) => m.dataKey).join(', ')}); restore from one location at a time`,
      { details: { ...target, dataKeys: named.map((m) => m.dataKey) } },
    );
  }
  const head = named[0]!;

  if (!restoreAll) {
    if (isIncremental(head)) {
      throw new SnapstreamError(
        ErrorCode.INVALID_ARGUMENT,
        `backup "${head.backup}" of volume "${head.volume}" is incremental (it needs snapshot "${head.previousSnapshot}"` +
          `${head.previousBackup ? ` from backup "${head.previousBackup}"` : ''} first); ` +
          'set restoreAllIncrementalSnapshots=true to restore the whole chain from its full backup',
        { details: { ...target, previousSnapshot: head.previousSnapshot, previousBackup: head.previousBackup } },
      );
    }
    return [head];
  }

  // Walk from the target back to its full base; `chain` is newest first while walking.
  const chain: Manifest[] = [head];
  const seen = new Set<Manifest>([head]);
  let cur = head;
  while (isIncremental(cur)) {
    const base = findBase(manifests, cur, target, chain);
    if (seen.has(base)) {
      throw chainError(
        'cycle',
        `the manifests form a cycle: backup "${base.backup}" is reached twice`,
        target,
        cur,
        chain,
      );
    }
    seen.add(base);
    chain.push(base);
    cur = base;
  }
  return chain.reverse();
}

function findBase(all: readonly Manifest[], cur: Manifest, target: RestoreTarget, chain: readonly Manifest[]): Manifest {
  const byName = all.filter(
    (m) => m.volume === cur.volume && m.dataset === cur.dataset && m.snapshot === cur.previousSnapshot,
  );
  let candidates = byName;
  if (cur.previousSnapshotGuid !== '') {
    const exact = byName.filter((m) => m.snapshotGuid === cur.previousSnapshotGuid);
    candidates = exact.length > 0 ? exact : byName.filter((m) => m.snapshotGuid === '');
  }
  if (candidates.length === 0) {
    const why =
      byName.length > 0
        ? `backup(s) ${byName.map((m) => `"${m.backup}" (guid ${m.snapshotGuid})`).join(', ')} hold a snapshot ` +
          `"${cur.previousSnapshot}" but not the one with guid ${cur.previousSnapshotGuid} that "${cur.backup}" was sent from`
        : `no backup of volume "${cur.volume}" (dataset "${cur.dataset}") holds it` +
          `${cur.previousBackup ? ` (backup "${cur.previousBackup}" is missing or expired)` : ''}`;
    throw chainError(byName.length > 0 ? 'guid-mismatch' : 'missing', why, target, cur, chain);
  }
  if (candidates.length > 1 && cur.previousBackup !== '') {
    const preferred = candidates.filter((m) => m.backup === cur.previousBackup);
    if (preferred.length > 0) candidates = preferred;
  }
  if (candidates.length > 1) {
    throw chainError(
      'ambiguous',
      `backups ${candidates.map((m) => `"${m.backup}"`).join(', ')} all hold snapshot "${cur.previousSnapshot}" and none is named by "${cur.backup}"`,
      target,
      cur,
      chain,
    );
  }
  return candidates[0]!;
}

type ChainReason = 'missing' | 'guid-mismatch' | 'ambiguous' | 'cycle';

function chainError(
  reason: ChainReason,
  why: string,
  target: RestoreTarget,
  cur: Manifest,
  chainNewestFirst: readonly Manifest[],
): SnapstreamError {
  // Printed oldest first, the way the chain would be applied, so the gap shows where it is.
  const found = chainNewestFirst.map((m) => m.backup).reverse();
  const gap = reason === 'missing' || reason === 'guid-mismatch' ? `[missing ${cur.previousBackup || `@${cur.previousSnapshot}`}] -> ` : '';
  return new SnapstreamError(
    ErrorCode.BASE_MISSING,
    `cannot restore backup "${target.backup}" of volume "${target.volume}": backup "${cur.backup}" is incremental from ` +
      `snapshot "${cur.previousSnapshot}", but ${why}; chain found so far: ${gap}${found.join(' -> ')}`,
    {
      details: {
        reason,
        backup: target.backup,
        volume: target.volume,
        missingSnapshot: cur.previousSnapshot,
        missingSnapshotGuid: cur.previousSnapshotGuid,
        missingBackup: cur.previousBackup,
        chain: found,
      },
    },
  );
}
