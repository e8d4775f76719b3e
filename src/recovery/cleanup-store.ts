import type { Logger } from 'pino';
import type { ObjectStore } from '../store/object-store.js';
import { inFlight } from './in-flight.js';

/**
 * Progress records of resumable backups (h13-resume, src/transfer/progress-record.ts): key
 * `<dataKey>.snapstream-progress.json`, next to the data object. Repeated here so the cleanup does
 * not depend on the backup code's internals; the suffix is part of the store layout.
 */
export const PROGRESS_SUFFIX = '.snapstream-progress.json';

export interface StoreCleanupOptions {
  /** Only below this key prefix: the location's backups/ (backupsPrefix(layout)), never the whole bucket. */
  prefix: string;
  /** Unfinished uploads (and progress records) younger than this are kept. */
  graceSeconds: number;
  dryRun?: boolean;
  signal?: AbortSignal;
  log: Logger;
  now?: Date;
}

export interface StoreCleanupEntry {
  kind: 'upload' | 'progress-record';
  key: string;
  action: 'removed' | 'kept' | 'would-remove';
  reason: string;
  started?: string;
}

/**
 * The store half of recovery: aborts unfinished multipart uploads (S3), temp files (local store)
 * and abandoned compose parts (GCS) older than the grace period. The rule agreed with resumable
 * backups: an upload a progress record younger than the grace period names is kept (a retried
 * backup resumes it); once that record is older, the upload goes and then the record. Uploads of
 * backups running in this process are kept whatever their age.
 */
export async function cleanupStore(store: ObjectStore, opts: StoreCleanupOptions): Promise<StoreCleanupEntry[]> {
  const now = opts.now ?? new Date();
  const cutoff = new Date(now.getTime() - opts.graceSeconds * 1000);
  const freshRecords = new Set<string>();
  const staleRecords: { key: string; lastModified?: Date }[] = [];
  for await (const o of store.list(opts.prefix, { signal: opts.signal })) {
    if (!o.key.endsWith(PROGRESS_SUFFIX)) continue;
    const dataKey = o.key.slice(0, -PROGRESS_SUFFIX.length);
    if (o.lastModified && o.lastModified < cutoff) staleRecords.push({ key: o.key, lastModified: o.lastModified });
    else freshRecords.add(dataKey);
  }
  const out: StoreCleanupEntry[] = [];
  await store.cleanupUploads(opts.prefix, cutoff, {
    signal: opts.signal,
    dryRun: opts.dryRun,
    keep: (key) => inFlight.has('key', key) || freshRecords.has(key),
    onUpload: (u) => {
      out.push({
        kind: 'upload',
        key: u.key,
        action: u.kept ? 'kept' : opts.dryRun ? 'would-remove' : 'removed',
        reason: u.kept ? 'a running backup or a fresh progress record (resumable) holds it' : `unfinished upload older than ${opts.graceSeconds} s`,
        ...(u.started ? { started: u.started.toISOString() } : {}),
      });
    },
  });
  for (const r of staleRecords) {
    if (inFlight.has('key', r.key.slice(0, -PROGRESS_SUFFIX.length))) continue;
    if (!opts.dryRun) await store.delete(r.key, { signal: opts.signal });
    out.push({ kind: 'progress-record', key: r.key, action: opts.dryRun ? 'would-remove' : 'removed', reason: `progress record older than ${opts.graceSeconds} s`, ...(r.lastModified ? { started: r.lastModified.toISOString() } : {}) });
  }
  for (const e of out) if (e.action === 'removed') opts.log.info({ kind: e.kind, key: e.key }, 'cleanup removed');
  return out;
}
