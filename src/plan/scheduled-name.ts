import { ErrorCode, SnapstreamError } from '../errors.js';

const STAMP = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;

/**
 * Scheduled backups are named `<schedule>-<YYYYMMDDhhmmss>` (UTC), as Velero names the backups a
 * Schedule creates. The plugin and the operator tell a scheduled backup from an ad-hoc one by that
 * suffix alone, so the format is part of the compatibility contract.
 */
export function scheduledBackupName(schedule: string, at: Date): string {
  if (schedule === '') throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, 'a scheduled backup needs a schedule name');
  const t = at.getTime();
  if (!Number.isFinite(t)) throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, 'a scheduled backup needs a valid time');
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const stamp =
    p(at.getUTCFullYear(), 4) + p(at.getUTCMonth() + 1) + p(at.getUTCDate()) + p(at.getUTCHours()) + p(at.getUTCMinutes()) + p(at.getUTCSeconds());
  return `${schedule}-${stamp}`;
}

/**
 * The time encoded in a scheduled backup name, or undefined when `name` is not `<schedule>-<stamp>`
 * with a real date. With `schedule`, the prefix must be exactly that schedule ("a-b-<stamp>" is not
 * a backup of schedule "a").
 */
export function scheduledBackupTime(name: string, schedule?: string): Date | undefined {
  const dash = name.length - 15;
  if (dash < 1 || name[dash] !== '-') return undefined;
  if (schedule !== undefined && name.slice(0, dash) !== schedule) return undefined;
  const m = STAMP.exec(name.slice(dash + 1));
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC rolls 20260230 over to March 2; a name that does not round-trip is not a timestamp.
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  return date;
}

export function isScheduledBackupName(name: string, schedule?: string): boolean {
  return scheduledBackupTime(name, schedule) !== undefined;
}
