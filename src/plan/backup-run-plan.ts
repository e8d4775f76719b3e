import { ErrorCode, SnapstreamError } from '../errors.js';
import { type Layout, dataKeyFor, validateBackupName } from '../model/layout.js';
import { manifestKeyFor } from '../model/manifest.js';
import type { StoreLimits } from '../store/object-store.js';
import { type DatasetName, type SnapshotShortName, parseSnapshotShortName } from '../zfs/names.js';
import type { SendSizeEstimate } from '../zfs/zfs.js';
import { backupMemoryBound } from './memory-bound.js';
import { type PartPlan, planParts } from './part-plan.js';
import { DEFAULT_CONCURRENCY, DEFAULT_STALL_TIMEOUT_MS, type TransferOptions } from './transfer-options.js';

export interface BackupRequest {
  dataset: DatasetName;
  snapshot: string;
  /** Incremental base; "" or undefined = full stream. */
  previousSnapshot?: string;
  /** The seed's flag: send a full stream whatever previousSnapshot says. */
  disableIncrementalBackups?: boolean;
  backup: string;
  schedule?: string;
  volume: string;
  /** Backup that holds the base stream, recorded in the manifest for chain restores. */
  previousBackup?: string;
  layout: Layout;
  transfer?: TransferOptions;
  /** Node that sends the stream (the agent's nodeName), recorded in the manifest. */
  node?: string;
  /**
   * When the backup's manifest already exists for this very stream (same snapshot guid, base guid and
   * send arguments), return it instead of failing ALREADY_EXISTS: the agent's idempotent retry after
   * a crash between the manifest write and the reply.
   */
  acceptCommitted?: boolean;
  /**
   * h15-dedup: store the backup in the dedup layout (src/dedup): segments uploaded only when absent,
   * a per-backup recipe. A stream the dedup layout cannot parse is stored plain (logged).
   */
  dedup?: boolean;
}

/** A request's names, validated: what the probes may ask zfs and the store about. */
export interface BackupTarget {
  dataset: DatasetName;
  snapshot: SnapshotShortName;
  /** Undefined for a full stream (also when disableIncrementalBackups dropped the base). */
  previousSnapshot: SnapshotShortName | undefined;
  /** True when a base was given but disableIncrementalBackups dropped it. */
  baseIgnored: boolean;
  backup: string;
  schedule: string;
  volume: string;
  dataKey: string;
  manifestKey: string;
}

/** What the probes found out (transfer/make-backup-run-plan.ts asks zfs and the store). */
export interface BackupFacts {
  snapshotExists: boolean;
  /** Whether the base exists; ignored for a full stream. */
  baseExists: boolean;
  /** `zfs send -nP` (or a guess from properties); undefined when zfs could not tell. */
  estimate: SendSizeEstimate | undefined;
  snapshotGuid: string;
  previousSnapshotGuid: string;
  /** The exact `zfs send` arguments of this stream (recorded in the manifest, checked on resume). */
  sendArgs: readonly string[];
  limits: StoreLimits;
  /** A master key is configured: parts are encrypted, which doubles the in-flight buffers. */
  encrypted: boolean;
}

/**
 * Everything a backup run needs, decided before it starts: the CLI, the agent and the controller
 * (through the agent) make one with makeBackupRunPlan and hand it to runBackupPlan, which does not
 * plan again. So the agent reserves memory from the very part layout the pipeline uses, and zfs is
 * asked for the estimate once.
 */
export interface BackupRunPlan extends BackupTarget {
  layout: Layout;
  previousBackup: string;
  node: string | undefined;
  acceptCommitted: boolean;
  /** h15-dedup: store in the dedup layout (BackupRequest.dedup). */
  dedup: boolean;
  snapshotGuid: string;
  previousSnapshotGuid: string;
  sendArgs: string[];
  estimate: SendSizeEstimate | undefined;
  parts: PartPlan;
  concurrency: number;
  rateLimitBytesPerSec: number | undefined;
  stallTimeoutMs: number;
  /** The most memory the run holds at once (memory-bound.ts); the agent reserves it. */
  memoryBytes: number;
}

/** Validates a request's names. Pure; throws INVALID_NAME / INVALID_ARGUMENT naming the field. */
export function backupTargetOf(req: BackupRequest): BackupTarget {
  const snapshot = parseSnapshotShortName(req.snapshot);
  const backup = validateBackupName(req.backup);
  const schedule = req.schedule ? validateBackupName(req.schedule, 'schedule name') : '';
  const given = req.previousSnapshot ?? '';
  const baseIgnored = req.disableIncrementalBackups === true && given !== '';
  const previousSnapshot = given === '' || baseIgnored ? undefined : parseSnapshotShortName(given);
  if (previousSnapshot === snapshot) throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `previous snapshot and snapshot are both ${snapshot}`);
  const dataKey = dataKeyFor(req.layout, backup, req.volume);
  return { dataset: req.dataset, snapshot, previousSnapshot, baseIgnored, backup, schedule, volume: req.volume, dataKey, manifestKey: manifestKeyFor(dataKey) };
}

/** Turns a validated target and what the probes found into the plan. Pure. */
export function planBackupRun(req: BackupRequest, target: BackupTarget, facts: BackupFacts): BackupRunPlan {
  const { dataset, snapshot, previousSnapshot: prev } = target;
  if (!facts.snapshotExists) {
    throw new SnapstreamError(ErrorCode.NOT_FOUND, `snapshot ${dataset}@${snapshot} does not exist; create it first (zfs snapshot, or the agent's CreateSnapshot)`);
  }
  if (prev && !facts.baseExists) {
    throw new SnapstreamError(
      ErrorCode.BASE_MISSING,
      `incremental base ${dataset}@${prev} does not exist; send a full backup instead (omit the previous snapshot or set disableIncrementalBackups)`,
    );
  }
  const parts = planParts({ limits: facts.limits, estimatedBytes: facts.estimate?.bytes, partSize: req.transfer?.partSize });
  const concurrency = req.transfer?.concurrency ?? DEFAULT_CONCURRENCY;
  return {
    ...target,
    layout: req.layout,
    previousBackup: prev ? (req.previousBackup ?? '') : '',
    node: req.node || undefined,
    acceptCommitted: req.acceptCommitted === true,
    dedup: req.dedup === true,
    snapshotGuid: facts.snapshotGuid,
    previousSnapshotGuid: prev ? facts.previousSnapshotGuid : '',
    sendArgs: [...facts.sendArgs],
    estimate: facts.estimate,
    parts,
    concurrency,
    rateLimitBytesPerSec: req.transfer?.rateLimitBytesPerSec,
    stallTimeoutMs: req.transfer?.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
    memoryBytes: backupMemoryBound(parts, facts.estimate?.bytes, concurrency, facts.encrypted),
  };
}
