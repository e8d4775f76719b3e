import { ErrorCode, SnapstreamError } from '../errors.js';
import { printableLine } from '../printable.js';
import { parseDatasetName, parseSnapshotShortName } from '../zfs/names.js';
import { validateBackupName } from './layout.js';
import type { Manifest } from './manifest.js';

const TIMESTAMP = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2})$/;
const VERSION = /^[0-9A-Za-z.+_-]{0,64}$/;

/**
 * A manifest's strings are names, checked as such (the bucket is untrusted): backup, volume,
 * schedule and previousBackup by the object-name rules of layout.ts, dataset and snapshots by ZFS's
 * (names.ts), timestamps and the version as what snapstream writes. So nothing from a manifest that
 * is listed, logged or passed on can carry a terminal escape sequence, a path trick or an option.
 * Throws MANIFEST_INVALID naming the field; the offending value is quoted escaped.
 */
export function checkManifestNames(m: Manifest, where: string): void {
  const field = (k: string, check: () => unknown): void => {
    try {
      check();
    } catch {
      const v = String((m as unknown as Record<string, unknown>)[k]);
      throw new SnapstreamError(
        ErrorCode.MANIFEST_INVALID,
        `manifest ${printableLine(where)} is invalid: "${k}" is not a valid name (${printableLine(JSON.stringify(v.slice(0, 80)))})`,
        { details: { manifest: where, field: k } },
      );
    }
  };
  const optional = (k: keyof Manifest, f: (s: string) => unknown) => field(k, () => (m[k] === '' ? undefined : f(m[k] as string)));
  field('backup', () => validateBackupName(m.backup));
  field('volume', () => validateBackupName(m.volume));
  optional('schedule', (s) => validateBackupName(s));
  optional('previousBackup', (s) => validateBackupName(s));
  field('dataset', () => parseDatasetName(m.dataset));
  field('snapshot', () => parseSnapshotShortName(m.snapshot));
  optional('previousSnapshot', (s) => parseSnapshotShortName(s));
  const re = (k: keyof Manifest, r: RegExp, v: string) =>
    field(k, () => {
      if (!r.test(v)) throw new Error('bad');
    });
  // Empty is harmless (and what some tools write); anything else must be an ISO timestamp.
  if (m.startedAt !== '') re('startedAt', TIMESTAMP, m.startedAt);
  if (m.finishedAt !== '') re('finishedAt', TIMESTAMP, m.finishedAt);
  field('agent', () => {
    if (!VERSION.test(m.agent.version)) throw new Error('bad');
  });
  field('sendArgs', () => {
    // eslint-disable-next-line no-control-regex
    if (m.sendArgs.some((a) => /[\u0000-\u001f\u007f-\u009f]/.test(a))) throw new Error('bad');
  });
}
