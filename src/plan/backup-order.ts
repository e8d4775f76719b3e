import type { Manifest } from '../model/manifest.js';
import { scheduledBackupTime } from './scheduled-name.js';

/**
 * When a backup was taken: the timestamp in its scheduled name (what Velero and the plugin sort by),
 * else its manifest's startedAt. NaN when neither is usable; such backups sort first (oldest).
 */
export function backupTime(m: Pick<Manifest, 'backup' | 'schedule' | 'startedAt'>): number {
  const fromName = scheduledBackupTime(m.backup, m.schedule === '' ? undefined : m.schedule);
  if (fromName !== undefined) return fromName.getTime();
  return Date.parse(m.startedAt);
}

/** Oldest first; ties broken by finishedAt, then by name, so the order is total and repeatable. */
export function compareBackups(a: Manifest, b: Manifest): number {
  const ta = backupTime(a);
  const tb = backupTime(b);
  const na = Number.isNaN(ta) ? -Infinity : ta;
  const nb = Number.isNaN(tb) ? -Infinity : tb;
  if (na !== nb) return na < nb ? -1 : 1;
  const fa = Date.parse(a.finishedAt);
  const fb = Date.parse(b.finishedAt);
  if (fa !== fb && !Number.isNaN(fa) && !Number.isNaN(fb)) return fa < fb ? -1 : 1;
  return a.backup < b.backup ? -1 : a.backup > b.backup ? 1 : 0;
}
