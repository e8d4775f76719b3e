import { ErrorCode, SnapstreamError } from '../errors.js';
import type { Layout } from '../model/layout.js';
import type { Manifest } from '../model/manifest.js';
import type { DatasetName } from '../zfs/names.js';
import { downloadMemoryBound } from './memory-bound.js';
import { DEFAULT_CONCURRENCY, DEFAULT_STALL_TIMEOUT_MS, type TransferOptions } from './transfer-options.js';

export interface RestoreRequest {
  backup: string;
  volume: string;
  layout: Layout;
  target: DatasetName;
  /** Replay the chain base..backup (the seed's restoreAllIncrementalSnapshots). */
  restoreAllIncrementalSnapshots?: boolean;
  /** Restore an object that has no manifest (stock plugin); it cannot be verified. */
  allowUnverified?: boolean;
  /** With trusted keys configured, restore a backup that is not signed by one of them anyway. */
  allowUnauthenticated?: boolean;
  /** Receive a full stream over an existing target (zfs recv -F). */
  force?: boolean;
  /**
   * Accept compound (`zfs send -p`/`-R`) streams, whose properties (mountpoint, setuid, ...) zfs
   * recv applies. Off by default: such a stream is refused with STREAM_REFUSED before receiving.
   */
  allowStreamProperties?: boolean;
  /** Sets io.openebs:targetip on the restored dataset (the seed's autoSetTargetIP). */
  targetIp?: string;
  transfer?: TransferOptions;
  /**
   * Identifies this restore request (same request, same id). Marks the datasets it creates
   * (io.snapstream:restore) until it has finished, so a retry after a crash continues what the
   * crashed attempt left. Default: derived from backup, volume and target.
   */
  restoreId?: string;
  /**
   * Replace (or continue) what a failed restore left in `target`, even one of another request:
   * only a dataset carrying snapstream's restore marker, never an arbitrary one (that needs force).
   */
  replacePartial?: boolean;
}
/**
 * What a restore reads: the manifests of the chain it applies, oldest first, or 'legacy' for an
 * object without a manifest that allowUnverified lets through (it cannot be verified).
 */
export type RestoreSource = Manifest[] | 'legacy';

/**
 * Everything a restore run needs from the bucket, decided before it starts: the CLI and the agent
 * make one with makeRestoreRunPlan (which also checks authentication) and hand it to runRestorePlan,
 * which does not read or plan the chain again. What depends on the target dataset (whether it
 * exists, holds the base, or a crashed attempt's links) is the run's to find out: it can change
 * while a job waits for its memory.
 */
export interface RestoreRunPlan {
  request: RestoreRequest;
  source: RestoreSource;
  /** Parts fetched ahead of the one being received. */
  window: number;
  stallTimeoutMs: number;
  /** The most memory the run holds at once (memory-bound.ts); the agent reserves it. */
  memoryBytes: number;
}

/** Checks what a restore request says before anything is read. Pure. */
export function checkRestoreRequest(req: RestoreRequest): void {
  if (req.targetIp && !isIpAddress(req.targetIp)) {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `target IP ${JSON.stringify(req.targetIp)} is not an IPv4 or IPv6 address`);
  }
}

/** The plan of a restore whose source is resolved. Pure. */
export function planRestoreRun(req: RestoreRequest, source: RestoreSource): RestoreRunPlan {
  const window = req.transfer?.concurrency ?? DEFAULT_CONCURRENCY;
  return {
    request: req,
    source,
    window,
    stallTimeoutMs: req.transfer?.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
    memoryBytes: downloadMemoryBound(source === 'legacy' ? [] : source, window),
  };
}

export function isIpAddress(s: string): boolean {
  return /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(s) || (/^[0-9a-fA-F:]+$/.test(s) && s.includes(':') && s.length <= 45);
}
