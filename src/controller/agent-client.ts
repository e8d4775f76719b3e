/**
 * What the controller needs from a node agent, as a small interface: the gRPC implementation
 * (grpc-agent-client.ts) talks to a real agent, unit tests use a fake. Every failure is a
 * SnapstreamError carrying the agent's stable code and retryable flag.
 */
export interface AgentClient {
  /** Takes `dataset@snap`. Rejects ALREADY_EXISTS when it is there already. */
  createSnapshot(dataset: string, snap: string, signal?: AbortSignal): Promise<void>;
  /**
   * Destroys `dataset@snap`; false when it did not exist. With `expectedGuid`, a snapshot of that
   * name with another guid is kept and the call rejects SNAPSHOT_MISMATCH.
   */
  destroySnapshot(dataset: string, snap: string, signal?: AbortSignal, expectedGuid?: string): Promise<boolean>;
  /** Snapshot names (the part after "@") of `dataset`, oldest first. */
  listSnapshots(dataset: string, signal?: AbortSignal): Promise<string[]>;
  /** Starts (or joins, when an identical request is running or done) a backup job. */
  startBackup(req: AgentBackupRequest, signal?: AbortSignal): Promise<StartedJob>;
  startRestore(req: AgentRestoreRequest, signal?: AbortSignal): Promise<StartedJob>;
  /** Follows a job to its end. Rejects (UNAVAILABLE, retryable) when the agent goes away meanwhile. */
  watchJob(jobId: string, signal?: AbortSignal): Promise<JobOutcome>;
  close(): void;
}

export interface AgentBackupRequest {
  /** The schedule (CStorBackupSpec.backupName). */
  schedule: string;
  /** Backup name; also the snapshot name, by cStor convention. */
  snapName: string;
  /** Incremental base, "" for a full stream. */
  prevSnapName: string;
  volume: string;
  dataset: string;
  disableIncrementalBackups: boolean;
  /** VolumeSnapshotLocation spec.config. */
  location: Record<string, string>;
  /** Optional TransferOptions (proto field names, camelCase). */
  transfer?: { rateLimitBytesPerSec?: number; concurrency?: number; partSizeBytes?: number; stallTimeoutSeconds?: number };
}

export interface AgentRestoreRequest {
  restoreName: string;
  backup: string;
  volume: string;
  targetDataset: string;
  restoreAllIncrementalSnapshots: boolean;
  /** Set io.openebs:targetip to this when given (autoSetTargetIP). */
  targetIp?: string;
  location: Record<string, string>;
}

export interface StartedJob {
  jobId: string;
  /** True when the agent matched an existing job (a retry after a restart, for instance). */
  joined: boolean;
}

export interface JobOutcome {
  jobId: string;
  phase: 'done' | 'failed' | 'invalid';
  error?: { code: string; message: string; retryable: boolean };
  backup?: { dataKey: string; sizeBytes: number; previousSnapshot: string };
  restore?: { snapshot: string; restoredBackups: string[] };
}
