import { ErrorCode, SnapstreamError } from '../errors.js';
import { joinKey, validateObjectKey } from '../store/object-key.js';
import { MANIFEST_SUFFIX } from './manifest.js';

/**
 * Object names, compatible with the stock velero-plugin so its tools and ours read the same bucket:
 * data at `[<backupPathPrefix>/]backups/<backup>/[<prefix>-]<volume>-<backup>`, and our manifest at the
 * same key + ".snapstream.json".
 *
 * Layout is where a location's backups sit in its bucket. It is part of the format, so it lives here
 * with the key names, below the store configuration that carries one.
 */
export interface Layout {
  /** Prefix in the bucket under which `backups/` lives ("" = bucket root). */
  backupPathPrefix: string;
  /** The VolumeSnapshotLocation `prefix`: prepended to the volume name in object names. */
  prefix: string;
}

const NAME = /^[A-Za-z0-9]([A-Za-z0-9_.:-]{0,251}[A-Za-z0-9_])?$/;

export function validateBackupName(name: string, what = 'backup name'): string {
  if (!NAME.test(name)) {
    throw new SnapstreamError(
      ErrorCode.INVALID_ARGUMENT,
      `${what} ${JSON.stringify(name)} is invalid: use 1-253 letters, digits and "_-.:", starting and ending with a letter or digit`,
    );
  }
  return name;
}

export function backupsPrefix(layout: Layout): string {
  return joinKey(layout.backupPathPrefix, 'backups') + '/';
}

export function dataKeyFor(layout: Layout, backup: string, volume: string): string {
  validateBackupName(backup);
  validateBackupName(volume, 'volume name');
  const file = `${layout.prefix ? layout.prefix + '-' : ''}${volume}-${backup}`;
  return validateObjectKey(joinKey(layout.backupPathPrefix, 'backups', backup, file));
}

export function isManifestKey(key: string): boolean {
  return key.endsWith(MANIFEST_SUFFIX);
}

/** Keys under `backups/<backup>/` that are stream objects (not manifests or the plugin's .pvc files). */
export function isDataKey(key: string): boolean {
  // Progress records of unfinished backups are neither data nor a backup (progress-record.ts).
  return !isManifestKey(key) && !key.endsWith('.pvc') && !key.endsWith('.snapstream-delete') && !key.endsWith('.snapstream-progress.json');
}

/** The backup name a key under backups/ belongs to. */
export function backupOfKey(layout: Layout, key: string): string | undefined {
  const pre = backupsPrefix(layout);
  if (!key.startsWith(pre)) return undefined;
  const rest = key.slice(pre.length);
  const slash = rest.indexOf('/');
  return slash > 0 ? rest.slice(0, slash) : undefined;
}

/** The volume name in a data key of `backup`, undone from `[<prefix>-]<volume>-<backup>`. */
export function volumeOfDataKey(layout: Layout, key: string, backup: string): string | undefined {
  const file = key.slice(key.lastIndexOf('/') + 1);
  const pre = layout.prefix ? layout.prefix + '-' : '';
  const suf = '-' + backup;
  if (!file.startsWith(pre) || !file.endsWith(suf)) return undefined;
  const v = file.slice(pre.length, file.length - suf.length);
  return v === '' ? undefined : v;
}
