import type { Logger } from 'pino';
import type { Keyring } from '../keys/keyring.js';
import { requiresAuthentication } from '../keys/keyring.js';
import { authOf } from '../keys/manifest-auth.js';
import { ErrorCode, SnapstreamError } from '../errors.js';
import { joinKey, validateObjectKey } from '../store/object-key.js';
import type { ObjectStore } from '../store/object-store.js';
import { deleteBackup, listBackups } from '../transfer/catalog.js';
import { readSmallObject } from '../transfer/download-stream.js';
import type { Layout } from '../model/layout.js';
import type { Manifest } from '../model/manifest.js';
import { type GcResult, runGc } from '../dedup/gc.js';
import { parseStatus, STATUS_MAX_BYTES, serializeStatus, type ScheduleStatus } from './schedule-status.js';

/**
 * The controller's view of one location: the committed backups (manifests) and the schedules'
 * status records. The bucket is the only state, so any controller, restarted or new, sees the same.
 */
export interface BackupCatalog {
  /** Every committed backup in the location, oldest first. */
  list(signal?: AbortSignal): Promise<Manifest[]>;
  /** Deletes one backup, manifest first (never a manifest without its data). */
  delete(m: Manifest, signal?: AbortSignal): Promise<void>;
  readStatus(schedule: string, signal?: AbortSignal): Promise<ScheduleStatus | undefined>;
  writeStatus(status: ScheduleStatus, signal?: AbortSignal): Promise<void>;
  describe(): string;
  close(): Promise<void>;
  /**
   * With trusted keys configured: whether `m` (as listed by this catalog) is signed by one of them.
   * Cleanup and retention destroy a snapshot a manifest names only when it is (destroy-guard.ts).
   * Absent: no keys, every manifest counts (the naming, dataset and guid checks still apply).
   */
  isTrusted?(m: Manifest): boolean;
  /** h15-dedup: one garbage-collection run over the location's deduplicated segments (src/dedup/gc.ts). */
  gc?(signal?: AbortSignal): Promise<GcResult>;
}

export function statusKey(layout: Layout, schedule: string): string {
  return validateObjectKey(joinKey(layout.backupPathPrefix, 'snapstream', 'schedules', `${schedule}.json`));
}

/** A BackupCatalog over an ObjectStore. */
export class StoreCatalog implements BackupCatalog {
  constructor(
    private readonly store: ObjectStore,
    private readonly layout: Layout,
    private readonly log: Logger,
    private readonly keys?: Keyring,
  ) {
    if (requiresAuthentication(keys)) this.isTrusted = (m) => authOf(m).state === 'signed';
  }

  readonly isTrusted?: (m: Manifest) => boolean;

  async list(signal?: AbortSignal): Promise<Manifest[]> {
    const cat = await listBackups(this.store, this.layout, { signal, log: this.log, ...(this.keys ? { keys: this.keys } : {}) });
    return cat.backups;
  }

  delete(m: Manifest, signal?: AbortSignal): Promise<void> {
    return deleteBackup(this.store, m, signal);
  }

  gc(signal?: AbortSignal): Promise<GcResult> {
    return runGc({ store: this.store, layout: this.layout, log: this.log, ...(this.keys ? { keys: this.keys } : {}), ...(signal ? { signal } : {}) });
  }

  async readStatus(schedule: string, signal?: AbortSignal): Promise<ScheduleStatus | undefined> {
    const key = statusKey(this.layout, schedule);
    let bytes: Buffer;
    try {
      bytes = await readSmallObject(this.store, key, STATUS_MAX_BYTES, signal);
    } catch (e) {
      if (e instanceof SnapstreamError && e.code === ErrorCode.NOT_FOUND) return undefined;
      throw e;
    }
    const s = parseStatus(bytes, schedule);
    if (s === undefined) this.log.warn({ key }, 'ignoring an unreadable schedule status record');
    return s;
  }

  writeStatus(status: ScheduleStatus, signal?: AbortSignal): Promise<void> {
    return this.store.put(statusKey(this.layout, status.schedule), serializeStatus(status), { signal, contentType: 'application/json' });
  }

  describe(): string {
    return this.store.describe();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
