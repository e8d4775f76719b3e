import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError } from '../errors.js';
import type { MultipartUpload, ObjectStore } from '../store/object-store.js';
import { readSmallObject } from './download-stream.js';
import { PROGRESS_MAX_BYTES, type ProgressRecord, parseProgress, progressKeyFor } from './progress-record.js';
import { type ResumePlan, type StreamIdentity, planResume, whyNotResumable } from './resume-plan.js';

export interface OpenedUpload {
  upload: MultipartUpload;
  /** Set when an interrupted upload of this very stream is continued. */
  resume?: ResumePlan;
  /** Why an existing progress record was not used ("" when there was none). */
  restartReason: string;
  /** The record found, when resuming (its startedAt is kept). */
  record?: ProgressRecord;
}

/**
 * Finds the progress record an interrupted backup of `id.dataKey` left and continues its upload when
 * the record describes this very stream and the store still holds the upload; otherwise aborts what
 * the record names (it can never be completed now) and starts a new upload, saying why.
 */
export async function openUpload(store: ObjectStore, id: StreamIdentity, log: Logger, signal: AbortSignal, resumable = true): Promise<OpenedUpload> {
  const fresh = async (restartReason: string): Promise<OpenedUpload> => ({
    upload: await store.createUpload(id.dataKey, { signal, contentType: 'application/octet-stream' }),
    restartReason,
  });
  const key = progressKeyFor(id.dataKey);
  let record: ProgressRecord;
  try {
    record = parseProgress(await readSmallObject(store, key, PROGRESS_MAX_BYTES, signal), `${store.describe()}/${key}`);
  } catch (e) {
    if (e instanceof SnapstreamError && e.code === ErrorCode.NOT_FOUND) return fresh('');
    if (e instanceof SnapstreamError && e.code === ErrorCode.MANIFEST_INVALID) {
      log.warn({ record: key, err: e.message }, 'ignoring an unreadable progress record; starting from byte 0');
      return fresh(e.message);
    }
    throw e;
  }
  if (!store.resumeUpload) {
    return fresh(`${store.describe()} cannot continue an interrupted upload; starting from byte 0`);
  }
  const reopened = await store.resumeUpload(id.dataKey, record.uploadHandle, { signal });
  const why =
    (resumable ? undefined : 'signed or encrypted backups are not resumed; starting from byte 0') ??
    whyNotResumable(record, id) ??
    (reopened ? undefined : 'the interrupted upload is gone from the store (completed, aborted or cleaned up)');
  if (why !== undefined) {
    if (reopened) await reopened.upload.abort();
    // Overwritten by this run's record, except where there is none (keyed backups): remove it then.
    if (!resumable) await store.delete(key, { signal }).catch(() => {});
    log.info({ record: key, reason: why }, 'not resuming the interrupted upload; starting from byte 0');
    return fresh(why);
  }
  const plan = planResume(record, id.partPlan, reopened!);
  for (const d of plan.dropped.slice(0, 20)) log.info({ part: d.n, why: d.why }, 'recorded part will be uploaded again');
  if (plan.stored.size === 0) {
    // Nothing to skip; the same upload still works (its parts get overwritten), so keep it.
    log.info({ record: key }, 'the interrupted upload holds none of the recorded parts; continuing it from byte 0');
  }
  log.info(
    { record: key, storedParts: plan.stored.size, storedBytes: plan.storedBytes, recordedParts: record.parts.length },
    'resuming the interrupted upload: re-reading zfs send and skipping the parts already stored',
  );
  return { upload: reopened!.upload, resume: plan, restartReason: '', record };
}
