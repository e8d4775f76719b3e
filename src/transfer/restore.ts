import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError, abortedError, toSnapstreamError } from '../errors.js';
import type { RestoreRequest, RestoreRunPlan } from '../plan/restore-run-plan.js';
import { makeRestoreRunPlan } from './make-restore-run-plan.js';
import type { ObjectStore } from '../store/object-store.js';
import { type DatasetName, parseSnapshotShortName } from '../zfs/names.js';
import { inFlight } from '../recovery/in-flight.js';
import { RESTORE_PROPERTY, RESTORE_STATE_PROPERTY, classifyName, restoreIdFor, stagingNameFor } from '../model/restore-markers.js';
import { continueFrom } from '../recovery/restore-continuation.js';
import { clearRestoreMarkers, swapIn } from '../recovery/safe-swap.js';
import type { Zfs } from '../zfs/zfs.js';
import type { RunOptions } from './backup.js';
import { downloadVerified } from './download-stream.js';
import { dataKeyFor } from '../model/layout.js';
import { type Manifest, isIncremental } from '../model/manifest.js';
import { ProgressMeter } from './progress.js';
import type { Keyring } from '../keys/keyring.js';
import { type ReadKeying, readKeying } from '../keys/read-keying.js';
import { type RecvPin, mountIfPinned, recvPinFor } from './recv-pin.js';
import { GuardedRecv } from './guarded-recv.js';
import { expectationsFor } from './stream-guard.js';
import { checkStoredObject } from './read-verified.js';

// Re-exported: callers have always imported the request type from here.
export type { RestoreRequest, RestoreRunPlan } from '../plan/restore-run-plan.js';
export { isIpAddress } from '../plan/restore-run-plan.js';

export interface RestoreResult {
  target: DatasetName;
  /** The snapshot the target now has as its latest. */
  snapshot: string;
  restored: Manifest[];
  bytes: number;
  /** False only for a legacy object restored with allowUnverified. */
  verified: boolean;
}

export interface RestoreDeps {
  zfs: Zfs;
  store: ObjectStore;
  log: Logger;
  /** Trusted public keys (manifests must be signed) and the master key of encrypted backups. */
  keys?: Keyring;
}

export const TARGET_IP_PROPERTY = 'io.openebs:targetip';

/** Restores a backup (or its chain): plans it (makeRestoreRunPlan), then runs the plan. */
export async function runRestore(req: RestoreRequest, deps: RestoreDeps, opts: RunOptions = {}): Promise<RestoreResult> {
  return runRestorePlan(await makeRestoreRunPlan(req, deps, opts.signal), deps, opts);
}

/**
 * Runs a restore plan into its target with `zfs recv`, streaming verified parts with no spool. The
 * plan has read, resolved and authenticated the manifests; what is checked here before receiving is
 * what depends on the target and the objects now (object sizes, base snapshot on the target, a crashed
 * attempt's links). If receiving fails, the receive is killed and a target this restore created is
 * destroyed, so no half-received dataset is left behind.
 */
export async function runRestorePlan(restorePlan: RestoreRunPlan, deps: RestoreDeps, opts: RunOptions = {}): Promise<RestoreResult> {
  const { zfs, store } = deps;
  const req = restorePlan.request;
  const plan = restorePlan.source;
  const log = deps.log.child({ restore: req.backup, volume: req.volume, target: req.target });
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(opts.signal!.reason);
  if (opts.signal?.aborted) throw abortedError(opts.signal);
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = controller.signal;
  const meter = new ProgressMeter({ controller, onProgress: opts.onProgress, stallTimeoutMs: restorePlan.stallTimeoutMs });
  // What to destroy if the restore fails: the target when this restore creates it, or the staging
  // dataset of a forced restore. Never a dataset that existed before.
  let discardOnFailure: DatasetName | undefined;
  const restoreId = req.restoreId ?? restoreIdFor(JSON.stringify([req.backup, req.volume, req.target, req.restoreAllIncrementalSnapshots === true]));
  // The recovery pass leaves alone what a running restore works on.
  const releases = [inFlight.claim('dataset', req.target)];
  try {
    let existed = await zfs.exists(req.target, undefined, signal);
    const readers = plan === 'legacy' ? [] : await Promise.all(plan.map((m) => readKeying(m, deps.keys, true)));
    // Where a crashed attempt left off (a marked target holding the first links of the chain).
    let startAt = 0;
    if (existed && plan !== 'legacy' && !isIncremental(plan[0]!)) {
      const cont = await continuation(req, restoreId, plan, zfs, signal, log);
      if (cont === 'replace') existed = false;
      else if (cont !== undefined) startAt = cont;
    }
    if (plan !== 'legacy' && startAt === 0) await checkTarget(req, plan, existed, zfs, signal);
    else if (plan === 'legacy' && existed && !req.force) throw targetExists(req.target);
    // A forced full restore over an existing dataset receives beside it and swaps only once every
    // byte is verified and received: a failed restore leaves the old dataset exactly as it was (and
    // a full `zfs recv -F` over a mounted filesystem fails spuriously on zfs-fuse).
    const staging = existed && startAt === 0 && (plan === 'legacy' || !isIncremental(plan[0]!)) ? stagingNameFor(req.target) : undefined;
    if (staging) {
      releases.push(inFlight.claim('dataset', staging));
      await removeOwnStagings(zfs, req.target, restoreId, signal, log);
    }
    const into: RestoreRequest = staging ? { ...req, target: staging, force: false } : req;
    // A dataset this restore creates carries the restore marker from its first received link on.
    const created = staging ?? (existed ? undefined : req.target);
    discardOnFailure = created ?? (startAt > 0 ? req.target : undefined);
    if (plan === 'legacy') {
      const r = await restoreLegacy(into, deps, signal, meter, log);
      if (created) await zfs.setUserProperty(created, RESTORE_PROPERTY, restoreId, signal);
      if (staging) {
        discardOnFailure = undefined; // from here on the staged copy is the only copy
        await swapIn(zfs, staging, req.target, signal, log);
      } else if (created) await finishMarkers(zfs, created, signal);
      await mountIfPinned(zfs, req.target, await recvPinFor(zfs, signal), signal);
      await maybeSetTargetIp(req, zfs, signal);
      return { ...r, target: req.target };
    }
    // Check every object before receiving anything: a missing or short object fails now, not half-way.
    for (const m of plan) await checkStoredObject(store, m, signal);
    meter.estimatedBytes = plan.reduce((s, m) => s + m.size, 0);
    const pin = await recvPinFor(zfs, signal);
    meter.setPhase('transfer');
    let bytes = 0;
    if (startAt > 0) {
      log.info({ receivedLinks: startAt, links: plan.length }, 'continuing the chain restore where the interrupted attempt left it');
      meter.estimatedBytes = plan.slice(startAt).reduce((s, m) => s + m.size, 0);
    }
    for (const [i, m] of plan.entries()) {
      if (i < startAt) continue;
      log.info({ backup: m.backup, snapshot: m.snapshot, incremental: isIncremental(m), bytes: m.size, step: `${i + 1}/${plan.length}` }, 'receiving');
      // -F on later steps and on an incremental first step: the target may have been touched since the base.
      const force = i > 0 || isIncremental(m);
      bytes += await receiveOne(m, into, deps, { force, signal, meter, reader: readers[i]!, log, pin, window: restorePlan.window });
      if (i === 0 && created) await zfs.setUserProperty(created, RESTORE_PROPERTY, restoreId, signal);
    }
    if (staging) {
      discardOnFailure = undefined; // from here on the staged copy may be the only copy
      await swapIn(zfs, staging, req.target, signal, log);
    } else if (created || startAt > 0) {
      await finishMarkers(zfs, req.target, signal);
    }
    await mountIfPinned(zfs, req.target, pin, signal);
    await maybeSetTargetIp(req, zfs, signal);
    meter.setPhase('done');
    const last = plan[plan.length - 1]!;
    log.info({ bytes, snapshot: last.snapshot, steps: plan.length }, 'restore complete');
    return { target: req.target, snapshot: last.snapshot, restored: plan, bytes, verified: true };
  } catch (e) {
    const err = signal.aborted ? abortedError(signal) : toSnapstreamError(e);
    if (discardOnFailure) {
      // The receive may have created the dataset (or part of a chain): leave nothing behind.
      await zfs.destroyDataset(discardOnFailure).catch((de) => log.error({ dataset: discardOnFailure, err: (de as Error).message }, 'could not remove the partly restored dataset'));
    }
    log.warn({ code: err.code, err: err.message }, 'restore failed');
    throw err;
  } finally {
    meter.stop();
    for (const release of releases) release();
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
}

/**
 * A retried forced restore replaces the staging copies its own crashed attempts left (same restore
 * id, exact staging name, not in use in this process); others are the recovery pass's business.
 */
async function removeOwnStagings(zfs: Zfs, target: DatasetName, restoreId: string, signal: AbortSignal, log: Logger): Promise<void> {
  const parent = target.includes('/') ? (target.slice(0, target.lastIndexOf('/')) as DatasetName) : undefined;
  if (!parent) return;
  for (const d of (await zfs.datasetsWithLocalProperties(parent, [RESTORE_PROPERTY], signal, 1)).values()) {
    const c = classifyName(d.name);
    if (c.kind !== 'staging' || c.target !== target || d.props[RESTORE_PROPERTY] !== restoreId || inFlight.has('dataset', d.name)) continue;
    log.info({ dataset: d.name }, 'removing the staging copy an interrupted attempt of this restore left');
    await zfs.destroyDataset(d.name, signal);
  }
}

/** Every link received: "complete" first, so a crash while clearing never looks half-received. */
async function finishMarkers(zfs: Zfs, ds: DatasetName, signal: AbortSignal): Promise<void> {
  await zfs.setUserProperty(ds, RESTORE_STATE_PROPERTY, 'complete', signal);
  await clearRestoreMarkers(zfs, ds, signal);
}

/**
 * What to do with an existing target before a full (chain) restore: undefined when it is not the
 * leftover of a snapstream restore this request may take over (the usual checks apply); the index
 * of the first link to receive when it holds the first links of this very chain (guids checked);
 * 'replace' (after destroying it) when it is such a leftover but holds no link of this chain.
 */
async function continuation(req: RestoreRequest, restoreId: string, plan: Manifest[], zfs: Zfs, signal: AbortSignal, log: Logger): Promise<number | 'replace' | undefined> {
  const marker = await zfs.getProperty(req.target, RESTORE_PROPERTY, undefined, signal);
  const ours = marker !== '' && marker !== '-';
  if (!ours) {
    if (req.replacePartial && !req.force) {
      throw new SnapstreamError(
        ErrorCode.ALREADY_EXISTS,
        `target dataset ${req.target} exists and was not left by a failed snapstream restore (it has no ${RESTORE_PROPERTY} marker): ` +
          'replacePartial (--replace-partial) only replaces such leftovers; pass --force to replace an existing dataset',
        { details: { target: req.target } },
      );
    }
    return undefined;
  }
  if (marker !== restoreId && !req.replacePartial) {
    throw new SnapstreamError(
      ErrorCode.ALREADY_EXISTS,
      `target dataset ${req.target} holds what an unfinished snapstream restore (id ${marker}) left; ` +
        'retry that restore, or pass replacePartial (--replace-partial) to replace or continue it with this one',
      { details: { target: req.target, restoreId: marker } },
    );
  }
  const from = continueFrom(plan, await zfs.listSnapshots(req.target, signal));
  if (from !== undefined) return from;
  log.info({ target: req.target, restoreId: marker }, 'the unfinished restore left no link of this chain: replacing it');
  await zfs.destroyDataset(req.target, signal);
  return 'replace';
}

async function checkTarget(req: RestoreRequest, plan: Manifest[], existed: boolean, zfs: Zfs, signal: AbortSignal): Promise<void> {
  const first = plan[0]!;
  if (!isIncremental(first)) {
    if (existed && !req.force) throw targetExists(req.target);
    return;
  }
  // An incremental first step needs its base on the target, the very same snapshot (guid).
  const base = parseSnapshotShortName(first.previousSnapshot);
  const hint = req.restoreAllIncrementalSnapshots
    ? ''
    : '; restore the whole chain instead (--chain / restoreAllIncrementalSnapshots=true)';
  if (!existed || !(await zfs.exists(req.target, base, signal))) {
    throw new SnapstreamError(
      ErrorCode.BASE_MISSING,
      `backup ${first.backup} is incremental from @${base}, which ${req.target} does not have${hint}`,
      { details: { base, target: req.target } },
    );
  }
  if (first.previousSnapshotGuid) {
    const guid = await zfs.guid(req.target, base, signal);
    if (guid !== first.previousSnapshotGuid) {
      throw new SnapstreamError(
        ErrorCode.BASE_MISSING,
        `${req.target}@${base} is not the base of backup ${first.backup} (guid ${guid}, expected ${first.previousSnapshotGuid})${hint}`,
        { details: { base, target: req.target } },
      );
    }
  }
}

function targetExists(target: DatasetName): SnapstreamError {
  return new SnapstreamError(
    ErrorCode.ALREADY_EXISTS,
    `target dataset ${target} already exists; restore into a new dataset, or pass --force to replace it (the old one is kept until the restore has succeeded)`,
    { details: { target } },
  );
}

interface ReceiveContext {
  force: boolean;
  window: number;
  pin: RecvPin;
  signal: AbortSignal;
  meter: ProgressMeter;
  reader: ReadKeying;
  log: Logger;
}

async function receiveOne(m: Manifest, req: RestoreRequest, deps: RestoreDeps, c: ReceiveContext): Promise<number> {
  await discardResumeState(deps.zfs, req.target, c);
  const what = `zfs recv into ${req.target} (backup ${m.backup})`;
  const recv = new GuardedRecv(
    () => deps.zfs.recv(req.target, { force: c.force, signal: c.signal, pin: c.pin.args }),
    expectationsFor(m, req.allowStreamProperties === true),
    `backup ${m.backup}`,
  );
  try {
    const { bytes } = await downloadVerified({
      store: deps.store,
      manifest: m,
      window: c.window,
      rateLimitBytesPerSec: req.transfer?.rateLimitBytesPerSec,
      hasher: c.reader.hasher,
      openPart: c.reader.openPart,
      dedupCodec: c.reader.dedupCodec,
      meter: c.meter,
      signal: c.signal,
      log: c.log,
      sink: (data) => recv.write(data),
    });
    await recv.finish(what);
    return bytes;
  } catch (e) {
    return recv.fail(e, what);
  }
}

/**
 * Where ZFS keeps partial receives (OpenZFS `recv -s`), a saved partial state on the target blocks
 * every other receive into it. A stored stream cannot be resumed at the token's offset (that needs a
 * stream generated by `zfs send -t` on the source, which a restore does not have), so the link
 * restarts: the saved state is discarded first. zfs-fuse has no resumable receives at all.
 */
async function discardResumeState(zfs: Zfs, target: DatasetName, c: ReceiveContext): Promise<void> {
  if (!(await zfs.supportsResumableRecv(target, c.signal))) return;
  if (!(await zfs.exists(target, undefined, c.signal))) return;
  const token = await zfs.resumeToken(target, c.signal);
  if (!token) return;
  c.log.info({ target }, 'discarding the partial receive state left by an interrupted receive; the link restarts from its first byte');
  await zfs.abortResumableRecv(target, c.signal);
}

async function restoreLegacy(req: RestoreRequest, deps: RestoreDeps, signal: AbortSignal, meter: ProgressMeter, log: Logger): Promise<RestoreResult> {
  const dataKey = dataKeyFor(req.layout, req.backup, req.volume);
  log.warn({ dataKey }, 'restoring an object without a manifest: it is NOT verified');
  const info = await deps.store.head(dataKey, { signal });
  meter.estimatedBytes = info?.size;
  meter.setPhase('transfer');
  // The same guard as verified restores: the head is inspected before zfs recv sees a byte.
  const pin = await recvPinFor(deps.zfs, signal);
  const recv = new GuardedRecv(
    () => deps.zfs.recv(req.target, { force: req.force === true, signal, pin: pin.args }),
    { toguid: '', fromguid: '', allowProperties: req.allowStreamProperties === true },
    `unverified backup ${req.backup}`,
  );
  try {
    const body = await deps.store.get(dataKey, { signal });
    for await (const b of body as AsyncIterable<Buffer>) {
      meter.add(b.length);
      await recv.write(b);
    }
    await recv.finish(`zfs recv into ${req.target} (unverified backup ${req.backup})`);
  } catch (e) {
    await recv.fail(e, `zfs recv into ${req.target}`);
  }
  const snaps = await deps.zfs.listSnapshots(req.target, signal);
  meter.setPhase('done');
  return { target: req.target, snapshot: snaps[snaps.length - 1]?.name ?? '', restored: [], bytes: meter.bytes, verified: false };
}

async function maybeSetTargetIp(req: RestoreRequest, zfs: Zfs, signal: AbortSignal): Promise<void> {
  if (req.targetIp === undefined || req.targetIp === '') return;
  await zfs.setUserProperty(req.target, TARGET_IP_PROPERTY, req.targetIp, signal);
}
