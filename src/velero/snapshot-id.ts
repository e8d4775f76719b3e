import { createHash } from 'node:crypto';
import { ErrorCode, SnapstreamError } from '../errors.js';
import type { LocationConfig } from '../location/location-config.js';

/**
 * The snapshot ID the plugin hands Velero and gets back for restore and delete:
 *
 *     ss1:<location>:<volume>@<backup>
 *
 *  - `ss1`: format version;
 *  - `<location>`: 12 hex digits naming WHERE the backup's objects are (provider, bucket or path,
 *    backupPathPrefix, prefix), not how they are reached, so a changed endpoint or region still
 *    restores while a VSL pointing at another bucket is refused instead of restoring something else;
 *  - `<volume>`: the volume (PV name / ZFS-LocalPV volume handle) the backup was taken of;
 *  - `<backup>`: the Velero backup name, which names the snapshot and the objects.
 * Velero stores it verbatim and returns it, possibly years later: parsing validates every part.
 */
export interface SnapshotId {
  location: string;
  volume: string;
  backup: string;
}

export const SNAPSHOT_ID_VERSION = 'ss1';
const VOLUME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
const BACKUP = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
const LOCATION = /^[0-9a-f]{12}$/;

/** The location part: a digest of where objects live. */
export function locationFingerprint(loc: LocationConfig): string {
  const s = loc.store;
  const where = s.provider === 'local' ? ['local', s.path] : [s.provider, s.bucket];
  const text = JSON.stringify([...where, loc.layout.backupPathPrefix, loc.layout.prefix]);
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

export function formatSnapshotId(id: SnapshotId): string {
  check(id, JSON.stringify(id));
  return `${SNAPSHOT_ID_VERSION}:${id.location}:${id.volume}@${id.backup}`;
}

export function parseSnapshotId(text: string): SnapshotId {
  const m = /^([^:]*):([^:]*):([^@]*)@(.*)$/.exec(text);
  if (m === null || m[1] !== SNAPSHOT_ID_VERSION) {
    throw invalid(text, `expected "${SNAPSHOT_ID_VERSION}:<location>:<volume>@<backup>"`);
  }
  const id = { location: m[2]!, volume: m[3]!, backup: m[4]! };
  check(id, text);
  return id;
}

function check(id: SnapshotId, text: string): void {
  if (!LOCATION.test(id.location)) throw invalid(text, 'the location part must be 12 hex digits');
  if (!VOLUME.test(id.volume)) throw invalid(text, 'the volume part must be a volume name (letters, digits, "._-")');
  if (!BACKUP.test(id.backup)) throw invalid(text, 'the backup part must be a Velero backup name (lowercase letters, digits, ".-")');
}

function invalid(text: string, why: string): SnapstreamError {
  return new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `snapshot ID ${JSON.stringify(text.slice(0, 300))} is not a snapstream snapshot ID: ${why}`, {
    details: { snapshotID: text.slice(0, 300) },
  });
}
