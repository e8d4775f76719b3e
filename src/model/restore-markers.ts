import { createHash, randomBytes } from 'node:crypto';
import { type DatasetName, parseDatasetName } from '../zfs/names.js';

/**
 * How snapstream recognises the datasets it created itself, so recovery never touches anything
 * else: an exact name pattern AND a user property set locally by snapstream. Either alone is not
 * enough (a user may name a dataset anything; a property alone could be copied by `zfs send -p`).
 */

/** Set on a dataset a restore created (new target or staging copy) until the restore has finished. Value: the restore id. */
export const RESTORE_PROPERTY = 'io.snapstream:restore';
/** "complete" once every link is received (a staged copy may then be swapped in by recovery). */
export const RESTORE_STATE_PROPERTY = 'io.snapstream:restore-state';
/** Set on an old target renamed aside by a swap. Value: the name it had (the target). */
export const SWAP_OLD_PROPERTY = 'io.snapstream:swap-old';

export const MARKER_PROPERTIES = [RESTORE_PROPERTY, RESTORE_STATE_PROPERTY, SWAP_OLD_PROPERTY] as const;

const STAGING_INFIX = '-snapstream-restore-';
const OLD_INFIX = '-snapstream-old-';
const SUFFIX = /^[0-9a-f]{8}$/;

/** A sibling of the target that no one else would pick; parseDatasetName enforces ZFS's length limit. */
export function stagingNameFor(target: DatasetName): DatasetName {
  return parseDatasetName(`${target}${STAGING_INFIX}${randomBytes(4).toString('hex')}`);
}

/** Where a swap parks the old target until the staged copy is in place. */
export function oldNameFor(target: DatasetName): DatasetName {
  return parseDatasetName(`${target}${OLD_INFIX}${randomBytes(4).toString('hex')}`);
}

export type SnapstreamDatasetKind = { kind: 'staging' | 'old'; target: DatasetName } | { kind: 'plain' };

/** What a dataset's name says about it: a staging copy or parked old target of `target`, or neither. */
export function classifyName(name: DatasetName): SnapstreamDatasetKind {
  for (const [infix, kind] of [[STAGING_INFIX, 'staging'], [OLD_INFIX, 'old']] as const) {
    const at = name.lastIndexOf(infix);
    if (at <= 0) continue;
    const suffix = name.slice(at + infix.length);
    const target = name.slice(0, at);
    if (SUFFIX.test(suffix) && !target.endsWith('/')) return { kind, target: target as DatasetName };
  }
  return { kind: 'plain' };
}

/** A short, stable id for a restore request (the marker's value), from its identity or key. */
export function restoreIdFor(identity: string): string {
  return createHash('sha256').update(identity).digest('hex').slice(0, 16);
}
