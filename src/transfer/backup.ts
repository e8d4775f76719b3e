import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError, abortedError, throwIfAborted, toSnapstreamError } from '../errors.js';
import { checkExit } from '../exec/owned-process.js';
import { SocketPipe } from '../exec/socket-pipe.js';
import type { MultipartUpload, ObjectStore } from '../store/object-store.js';
import type { Zfs } from '../zfs/zfs.js';
import { type HasherFactory, loadHasher } from '../model/hasher.js';
import { MANIFEST_FORMAT, MANIFEST_MAX_BYTES, type Manifest, parseManifest } from '../model/manifest.js';
import { readSmallObject } from './download-stream.js';
import type { BackupRequest, BackupRunPlan } from '../plan/backup-run-plan.js';
import { makeBackupRunPlan } from './make-backup-run-plan.js';
import type { ManifestPart } from '../model/manifest.js';
import { openUpload } from './open-upload.js';
import { ProgressRecorder } from './progress-recorder.js';
import { progressKeyFor } from './progress-record.js';
import { ResumeMismatch, type StreamIdentity, alreadyStored } from './resume-plan.js';
import { type Progress, ProgressMeter } from './progress.js';
import { assertPartsCover, uploadStream } from './upload-stream.js';
import { VERSION } from '../version.js';
import { backupKeying } from '../keys/backup-keying.js';
import type { Keyring } from '../keys/keyring.js';
import { dedupBackup } from '../dedup/dedup-backup.js';
import { DEFAULT_TUNING, type TransferTuning } from './transfer-tuning.js';

// Re-exported: callers and the restore pipeline have always imported these from here.
export { DEFAULT_CONCURRENCY, DEFAULT_STALL_TIMEOUT_MS, type TransferOptions } from '../plan/transfer-options.js';
export type { BackupRequest, BackupRunPlan } from '../plan/backup-run-plan.js';

export interface BackupDeps {
  zfs: Zfs;
  store: ObjectStore;
  log: Logger;
  /** XXH64 by default; native-bench swaps in a no-op one to measure what hashing costs. */
  hasher?: HasherFactory;
  /** Signing key (manifest signed, SHA-256 hashes) and/or master key (parts encrypted); see src/keys. */
  keys?: Keyring;
  /** Benchmark/test knobs the edge read from the environment (transferTuningFrom); defaults otherwise. */
  tuning?: TransferTuning;
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Told, on success, how many bytes an interrupted earlier run had already stored, and why a record was not used. */
  onResume?: (r: ResumeOutcome) => void;
  /** Internal: set on the one restart after a resume found a different stream (the reason). */
  restartReason?: string;
}

export interface ResumeOutcome {
  /** Bytes not sent again because an interrupted upload of the same stream held them. */
  resumedBytes: number;
  /** Why an interrupted upload was not continued ("" when there was none, or it was continued). */
  restartReason: string;
}

/**
 * Failures after which the upload and its progress record stay for a retry to resume: transient
 * ones (the store, the network, a stall, zfs send dying, the agent shutting down). A cancel, bad
 * input or a divergent stream discards them.
 */
function keepForResume(e: SnapstreamError): boolean {
  if (e instanceof ResumeMismatch) return false;
  return e.code === ErrorCode.STORE_FAILED || e.code === ErrorCode.STALLED || e.code === ErrorCode.UNAVAILABLE || e.code === ErrorCode.ZFS_FAILED;
}

/** After a failure: keep the upload and its record for a retry (worth it only with parts recorded), or discard both. */
async function endUpload(upload: MultipartUpload, recorder: ProgressRecorder | undefined, err: SnapstreamError, log: Logger): Promise<void> {
  if (recorder && recorder.partCount > 0 && keepForResume(err)) {
    await recorder.flush();
    await upload.suspend?.();
    log.info({ code: err.code, record: recorder.key }, 'backup interrupted; the upload and its progress record are kept so a retry resumes it');
    return;
  }
  await upload.abort();
  await recorder?.remove();
}

/**
 * Backs one snapshot up: plans it (makeBackupRunPlan), then runs the plan. For callers that do not
 * need the plan before the run; the agent makes it first to reserve memory from it.
 */
export async function runBackup(req: BackupRequest, deps: BackupDeps, opts: RunOptions = {}): Promise<Manifest> {
  return runBackupPlan(await makeBackupRunPlan(req, deps, opts.signal), deps, opts);
}

/**
 * Runs a backup plan: `zfs send` -> parts -> multipart upload -> manifest (written last, the commit
 * marker). On any failure the upload is aborted, zfs send is killed and reaped, and no manifest is
 * written, so a backup that did not finish is never listed. Nothing is planned again here: names,
 * existence, estimate, guids and the part layout come from the plan.
 */
export async function runBackupPlan(plan: BackupRunPlan, deps: BackupDeps, opts: RunOptions = {}): Promise<Manifest> {
  const { zfs, store } = deps;
  const { dataKey, manifestKey, snapshot: snap, sendArgs, snapshotGuid: snapGuid, previousSnapshotGuid: prevGuid, concurrency } = plan;
  const prev = plan.previousSnapshot;
  const partPlan = plan.parts;
  const log = deps.log.child({ backup: plan.backup, volume: plan.volume, dataset: plan.dataset, snapshot: snap, previousSnapshot: prev ?? '' });

  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(opts.signal!.reason);
  if (opts.signal?.aborted) throw abortedError(opts.signal);
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = controller.signal;
  const meter = new ProgressMeter({ controller, onProgress: opts.onProgress, stallTimeoutMs: plan.stallTimeoutMs });

  try {
    if (await store.head(manifestKey, { signal })) {
      const done = plan.acceptCommitted ? await committedSame(store, plan, signal) : undefined;
      if (done) {
        log.info({ dataKey }, 'this backup was already committed (a retry after the agent restarted); returning it');
        // A crash right after the manifest write can leave the progress record: garbage now.
        await store.delete(progressKeyFor(dataKey), { signal }).catch(() => {});
        meter.setPhase('done');
        opts.onResume?.({ resumedBytes: done.size, restartReason: '' });
        return done;
      }
      throw new SnapstreamError(
        ErrorCode.ALREADY_EXISTS,
        `backup ${plan.backup} of volume ${plan.volume} already exists in ${store.describe()}; pick another backup name or delete it first`,
      );
    }
    const hasher = await (deps.hasher ?? loadHasher());
    if (plan.dedup) {
      const r = await dedupBackup({
        zfs, store, layout: plan.layout, keys: deps.keys, hasher, dataset: plan.dataset, snap, prev, snapGuid, prevGuid, dataKey, manifestKey,
        backup: plan.backup, schedule: plan.schedule, volume: plan.volume, previousBackup: plan.previousBackup, node: plan.node,
        concurrency, rateLimitBytesPerSec: plan.rateLimitBytesPerSec, meter, signal, log,
      });
      if ('manifest' in r) return r.manifest;
    }
    const estimate = plan.estimate;
    meter.estimatedBytes = estimate?.bytes;
    log.info(
      { dataKey, estimate, initialPartSize: partPlan.initialPartSize, concurrency, memoryBoundBytes: plan.memoryBytes, to: store.describe() },
      prev ? 'incremental backup starting' : 'full backup starting',
    );
    const startedAt = new Date();
    const keying = backupKeying(deps.keys, dataKey, hasher);
    // Signed or encrypted backups are not resumed (yet): their digests and sealed parts are made in
    // order by the keying wrapper, which a skipped prefix would break.
    const resumable = !deps.keys?.signer && !deps.keys?.master;
    const identity: StreamIdentity = { dataKey, snapshotGuid: snapGuid, previousSnapshotGuid: prevGuid, sendArgs, partPlan };
    const opened = await openUpload(store, identity, log, signal, resumable);
    const restartReason = opts.restartReason ?? opened.restartReason;
    const { resume } = opened;
    const upload = keying.wrap(opened.upload);
    const recorder = resumable && opened.upload.handle
      ? new ProgressRecorder({
          store,
          upload: opened.upload,
          plan: partPlan,
          initial: resume ? opened.record!.parts.filter((p) => resume.stored.has(p.n)) : [],
          base: { dataKey, snapshotGuid: snapGuid, previousSnapshotGuid: prevGuid, sendArgs, partPlan, startedAt: opened.record?.startedAt ?? startedAt.toISOString() },
          log,
          signal,
          ...(deps.tuning?.progressRecordMs !== undefined ? { intervalMs: deps.tuning.progressRecordMs } : {}),
        })
      : undefined;
    if (!recorder) log.info({ to: store.describe(), keyed: !resumable }, 'this backup cannot be resumed (store or keys); an interrupted one starts again from byte 0');
    const pipe = await openSocketPipe(log, (deps.tuning ?? DEFAULT_TUNING).sendPipe);
    const proc = zfs.send(plan.dataset, snap, prev, signal, pipe?.childEnd);
    // The child has its own copy now; ours must go, or the reading end never sees EOF.
    pipe?.childEnd.destroy();
    meter.setPhase('transfer');
    try {
      // Inside the try: a failure (or abort) from here on aborts or keeps the upload, never leaks it.
      await recorder?.start();
      const result = await uploadStream(pipe ?? proc.stdout, {
        upload,
        limits: store.limits,
        plan: partPlan,
        concurrency,
        hasher: keying.hasher,
        meter,
        signal,
        log,
        rateLimitBytesPerSec: plan.rateLimitBytesPerSec,
        ...(resume ? { alreadyStored: (part: ManifestPart) => alreadyStored(resume, part) } : {}),
        ...(recorder ? { onStored: (part: ManifestPart) => recorder.stored(part) } : {}),
      });
      // The exit status counts: a zfs send that died midway produced a short but well-formed-looking
      // stream, and must fail the backup (the Go implementation lost this through a shell pipe).
      checkExit(await proc.exit, 'zfs send');
      throwIfAborted(signal);
      assertPartsCover(result.parts, result.size);
      meter.setPhase('commit');
      // h14-cluster: another node may have committed this backup meanwhile (the control plane failed
      // over from this node while it was cut off). Its backup stands; completing ours would replace
      // the object under that manifest. (A window of one round trip remains; see docs/cluster.md.)
      if (await store.head(manifestKey, { signal })) {
        throw new SnapstreamError(ErrorCode.ALREADY_EXISTS, `backup ${plan.backup} of volume ${plan.volume} was committed meanwhile by another writer; this upload is discarded`);
      }
      const done = keying.finish(result);
      const info = await upload.complete({ signal, partCount: result.parts.length, size: done.storedSize });
      if (info.size >= 0 && info.size !== done.storedSize) {
        throw new SnapstreamError(ErrorCode.TRUNCATED, `store reports ${info.size} bytes for ${dataKey}, but ${done.storedSize} were sent`);
      }
      const manifest: Manifest = {
        format: MANIFEST_FORMAT,
        version: keying.version,
        backup: plan.backup,
        schedule: plan.schedule,
        volume: plan.volume,
        dataset: plan.dataset,
        snapshot: snap,
        snapshotGuid: snapGuid,
        previousSnapshot: prev ?? '',
        previousSnapshotGuid: prevGuid,
        previousBackup: plan.previousBackup,
        dataKey,
        size: result.size,
        hash: keying.hash,
        streamHash: done.streamHash,
        ...(done.encryption ? { encryption: done.encryption } : {}),
        parts: done.parts,
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        agent: { name: 'snapstream', version: VERSION },
        sendArgs,
        ...(plan.node ? { node: plan.node } : {}),
      };
      await store.put(manifestKey, keying.serialize(manifest), { signal, contentType: 'application/json' });
      meter.setPhase('done');
      // The manifest is the commit; the record is garbage from here on.
      await recorder?.remove();
      opts.onResume?.({ resumedBytes: result.skippedBytes, restartReason });
      log.info(
        { bytes: result.size, parts: result.parts.length, streamHash: done.streamHash, signed: !!deps.keys?.signer, encrypted: !!done.encryption, resumedBytes: result.skippedBytes, restartReason, seconds: (Date.now() - startedAt.getTime()) / 1000 },
        'backup committed',
      );
      return manifest;
    } catch (e) {
      await proc.stop();
      pipe?.destroy();
      await endUpload(opened.upload, recorder, signal.aborted ? abortedError(signal) : toSnapstreamError(e), log);
      if (e instanceof ResumeMismatch && !opts.restartReason && !signal.aborted) {
        // Once, from byte 0: the old upload is aborted and its record gone, so this run starts fresh.
        log.warn({ part: e.part, reason: e.message }, 'resume abandoned: the stream differs from the interrupted one; starting again from byte 0');
        meter.stop();
        opts.signal?.removeEventListener('abort', onOuterAbort);
        return runBackupPlan(plan, deps, { ...opts, restartReason: e.message });
      }
      throw e;
    } finally {
      pipe?.destroy();
    }
  } catch (e) {
    // Once aborted (cancel or stall), the abort's reason is the error, not its side effects (closed pipes).
    const err = signal.aborted ? abortedError(signal) : toSnapstreamError(e);
    log.warn({ code: err.code, err: err.message }, 'backup failed; nothing was committed');
    throw err;
  } finally {
    meter.stop();
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
}

/** The committed manifest of this plan's backup when it is of this very stream, else undefined. */
async function committedSame(store: ObjectStore, plan: BackupRunPlan, signal: AbortSignal): Promise<Manifest | undefined> {
  const m = parseManifest(await readSmallObject(store, plan.manifestKey, MANIFEST_MAX_BYTES, signal), `${store.describe()}/${plan.manifestKey}`);
  const same = m.snapshotGuid === plan.snapshotGuid && m.previousSnapshotGuid === plan.previousSnapshotGuid && m.sendArgs.join('\0') === plan.sendArgs.join('\0');
  return same ? m : undefined;
}

/**
 * The socket pair zfs send writes into (see SocketPipe); undefined where one cannot be made (no Unix
 * abstract sockets outside Linux), and the plain pipe is used instead.
 */
async function openSocketPipe(log: Logger, mode: TransferTuning['sendPipe']): Promise<SocketPipe | undefined> {
  if (mode === 'pipe') return undefined;
  try {
    return await SocketPipe.open();
  } catch (e) {
    log.debug({ err: (e as Error).message }, 'no socket pair for zfs send; reading a pipe');
    return undefined;
  }
}
