import type { Logger } from 'pino';

/**
 * The control plane's view of a cluster of snapstream agents: which agents exist (discovery), what
 * each holds (its Inventory RPC, read from the pools themselves), and volume-level operations that
 * pick the right agent(s): a backup from one healthy replica with failover, a restore into every
 * replica (cStor) or into the owner node (ZFS-LocalPV).
 *
 * This file is the stable interface other modules code against (the Velero plugin, the controller);
 * the implementation is `openCluster` in open-cluster.ts. Fields are only ever added.
 *
 * Failures are SnapstreamErrors with the stable codes of src/errors.ts (no new codes):
 * - NOT_FOUND: no reachable agent holds the volume (the message names the agents asked and which
 *   were unreachable);
 * - INVALID_ARGUMENT: a LocalPV/override volume found on several nodes (ambiguous), bad discovery;
 * - UNAVAILABLE (retryable): every replica was tried, or none qualified (pool not ONLINE, base
 *   missing or with another guid); `details.attempts` is a BackupAttempt[] saying why for each;
 * - whatever the agent sent (BASE_MISSING, PERMISSION_DENIED, ALREADY_EXISTS, ...) when failover
 *   cannot help (a non-retryable job failure is not retried on another replica).
 */

/** How agents are found. Addresses are `host:port` (IPv6 as `[addr]:port`). */
export type DiscoverySpec =
  /** A fixed list of agent addresses. */
  | { kind: 'static'; agents: string[] }
  /** Every A/AAAA record of `name` (a headless Service of the DaemonSet) on `port`. */
  | { kind: 'dns'; name: string; port: number; /** DNS servers to ask (tests); default the system's. */ servers?: string[] }
  /**
   * The Kubernetes API: Running pods matching `labelSelector` in `namespace`, dialled at
   * `status.podIP:port`, named after `spec.nodeName`. Uses the in-cluster service account, or
   * `kubeconfig` (a file) when given.
   */
  | { kind: 'kubernetes'; namespace: string; labelSelector: string; port: number; kubeconfig?: string };

/** mTLS material (PEM file paths) used for every agent, or plaintext for loopback test agents. */
export type ClusterTls =
  | {
      caFile: string;
      certFile: string;
      keyFile: string;
      /**
       * Name expected in every agent's certificate instead of the dialled address (a DaemonSet's
       * pods share one certificate with a fixed SAN such as `snapstream-agent`).
       */
      serverName?: string;
    }
  | 'insecure-loopback';

export interface ClusterOptions {
  discovery: DiscoverySpec;
  tls: ClusterTls;
  /** Transfers (backup or restore jobs) one node runs at once from this process. Default 1. */
  perNodeLimit?: number;
  /** Replicas a restore writes at once. Default 3. */
  restoreConcurrency?: number;
  /** Deadline of each unary agent call (ms). Default 30 000. */
  callTimeoutMs?: number;
  /** How long a discovery + inventory result is reused (ms). Default 5 000; 0 = always fresh. */
  inventoryTtlMs?: number;
  /** Called when a backup attempt on one replica failed and the next is tried (metrics). */
  onFailover?: (e: { volume: string; attempt: BackupAttempt }) => void;
  log: Logger;
}

/** One pool as `zpool list -H -o name,health` reports it. */
export interface PoolInfo {
  name: string;
  /** ONLINE, DEGRADED, FAULTED, OFFLINE, UNAVAIL, REMOVED, or "UNKNOWN" when zpool is missing. */
  health: string;
}

export interface SnapshotRef {
  /** Short name (after "@"). */
  name: string;
  /** ZFS guid, decimal string. */
  guid: string;
}

export interface DatasetInfo {
  /** Full dataset name, e.g. `cstor-1234/pvc-abc`. */
  name: string;
  /** Its pool (first component). */
  pool: string;
  /** filesystem | volume */
  type: string;
  /** Oldest first. */
  snapshots: SnapshotRef[];
}

/** What one agent reported through Inventory. */
export interface NodeInventory {
  /** The agent's node name (`--node-name` / $NODE_NAME; the pod's spec.nodeName). */
  node: string;
  /** The address it was reached at. */
  address: string;
  /** Pools holding the agent's allowed pools / prefixes. */
  pools: PoolInfo[];
  /** Datasets under the allowed pools (bounded by the agent; `truncated` says it cut the list). */
  datasets: DatasetInfo[];
  truncated: boolean;
}

/**
 * Which volume, and how to find its datasets.
 * - `cstor` (default when `poolName` is absent): every dataset whose last component is `volume`,
 *   directly under a pool (`<pool>/<volume>`), on any node; each is a replica.
 * - `localpv`: the dataset `<poolName>/<volume>`, on `ownerNode` when given (else wherever it is;
 *   several holders is VOLUME_AMBIGUOUS).
 * - `dataset`: an explicit dataset override (the controller's `snapstream.io/volumes` annotation);
 *   replicas are the nodes holding exactly that dataset.
 */
export interface VolumeRef {
  volume: string;
  kind?: 'cstor' | 'localpv';
  poolName?: string;
  ownerNode?: string;
  dataset?: string;
}

export interface Replica {
  node: string;
  address: string;
  dataset: string;
  pool: string;
  poolHealth: string;
  snapshots: SnapshotRef[];
}

export interface ClusterBackupRequest {
  volume: VolumeRef;
  /** The schedule (or the backup name for an ad-hoc backup). */
  schedule: string;
  /** The backup name, also the snapshot name (cStor convention). Created on the chosen replica if absent. */
  snapName: string;
  /** Incremental base snapshot, "" = full. */
  prevSnapName: string;
  /**
   * Guid the base must have on the replica (the previous manifest's snapshotGuid): a replica whose
   * base differs cannot continue the chain and is skipped. "" / absent = any.
   */
  prevSnapGuid?: string;
  disableIncrementalBackups: boolean;
  /** VolumeSnapshotLocation config (spec.config) sent to the agent. */
  location: Record<string, string>;
  /** Optional TransferOptions for the job (rate limit, concurrency, ...). */
  transfer?: TransferSettings;
}

/** proto TransferOptions, camelCase. */
export interface TransferSettings {
  rateLimitBytesPerSec?: number;
  concurrency?: number;
  partSizeBytes?: number;
  stallTimeoutSeconds?: number;
}

export interface BackupAttempt {
  node: string;
  dataset: string;
  /** Stable error code of why this replica was skipped or failed. */
  code: string;
  message: string;
}

export interface ClusterBackupResult {
  /** The node that sent the committed stream (also recorded in the manifest's `node`). */
  node: string;
  dataset: string;
  jobId: string;
  dataKey: string;
  sizeBytes: number;
  previousSnapshot: string;
  /** Guid of the snapshot that was sent. */
  snapshotGuid: string;
  /** Replicas tried before the one that succeeded (failover history); empty when the first worked. */
  failedAttempts: BackupAttempt[];
}

/** Where a restore writes: a pool, on the node that has it (found from the inventory when omitted). */
export interface RestoreTarget {
  pool: string;
  node?: string;
}

export interface ClusterRestoreRequest {
  restoreName: string;
  /** Backup to restore (with restoreAllIncrementalSnapshots, the chain up to it). */
  backup: string;
  /** Volume name the backup was taken of (names the objects). */
  sourceVolume: string;
  /** New volume name: each target receives `<pool>/<targetVolume>`, which must not exist. */
  targetVolume: string;
  /**
   * Pools to restore into. Absent: the pools currently holding `sourceVolume`'s replicas (cStor), or
   * for LocalPV pass exactly one target (the owner node's pool).
   */
  targets?: RestoreTarget[];
  restoreAllIncrementalSnapshots: boolean;
  /** autoSetTargetIP: set io.openebs:targetip on every restored replica. */
  targetIp?: string;
  location: Record<string, string>;
  transfer?: TransferSettings;
}

export interface ReplicaRestoreResult {
  node: string;
  dataset: string;
  jobId: string;
  snapshot: string;
  restoredBackups: string[];
}

export interface ClusterRestoreResult {
  /** One per target, all done (a restore succeeds only when every replica received it). */
  replicas: ReplicaRestoreResult[];
}

export interface DeleteBackupRequest {
  location: Record<string, string>;
  backup: string;
  volume: string;
}

/** A committed backup as listed by an agent (ListBackups). */
export interface ClusterBackupInfo {
  backup: string;
  schedule: string;
  volume: string;
  dataset: string;
  snapshot: string;
  previousSnapshot: string;
  previousBackup: string;
  dataKey: string;
  sizeBytes: number;
  /** Node that sent it ("" for backups made before manifests recorded it). */
  node: string;
  /** Guid of the snapshot sent: pass it as the next incremental's prevSnapGuid. */
  snapshotGuid: string;
}

export interface Cluster {
  /** Every reachable agent's Inventory (unreachable agents are logged and left out). */
  inventory(signal?: AbortSignal): Promise<NodeInventory[]>;
  /** The replicas holding `volume`, healthiest first. NOT_FOUND when none. */
  locate(volume: VolumeRef, signal?: AbortSignal): Promise<Replica[]>;
  /**
   * Backs the volume up from one healthy replica (pool ONLINE; for an incremental, the base present
   * with `prevSnapGuid`), creating `snapName` there when absent. When that node dies midway (agent
   * unreachable, job failed retryably) the next replica is tried; the manifest is the commit point,
   * so nothing half-committed is ever listed.
   */
  backupVolume(req: ClusterBackupRequest, signal?: AbortSignal): Promise<ClusterBackupResult>;
  /** Restores into every target concurrently (at most `restoreConcurrency`), then autoSetTargetIP on each. */
  restoreVolume(req: ClusterRestoreRequest, signal?: AbortSignal): Promise<ClusterRestoreResult>;
  /** Committed backups in the location (optionally of one volume), through any reachable agent. */
  listBackups(location: Record<string, string>, volume?: string, signal?: AbortSignal): Promise<ClusterBackupInfo[]>;
  /** Deletes one backup through any reachable agent; absent is not an error. */
  deleteBackup(req: DeleteBackupRequest, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
