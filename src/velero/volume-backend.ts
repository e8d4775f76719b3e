import type { Manifest } from '../model/manifest.js';

/**
 * What the Velero plugin needs from the agents, as a small interface: find a volume, back it up
 * through an agent that holds it, restore it into pools, clean pool snapshots. The plugin decides
 * WHAT to do (names, full or incremental, chains, deletion); a backend decides WHERE. The plugin
 * uses the cluster module (cluster-volume-backend.ts: discovery, agent inventory, replica health,
 * failover); unit tests use a fake.
 */
export interface VolumeBackend {
  /** The datasets holding `volume` (replicas), preferred first. NOT_FOUND when no agent holds it. */
  locate(volume: string, signal?: AbortSignal): Promise<VolumeHolder[]>;
  /** Snapshot, stream to the location, clean pool snapshots up (scheduled or ad-hoc rules). */
  backup(req: VolumeBackupRequest, signal?: AbortSignal): Promise<VolumeBackupOutcome>;
  /** Receives the backup (or its chain) into every target; all must succeed. */
  restore(req: VolumeRestoreRequest, signal?: AbortSignal): Promise<VolumeRestoreOutcome>;
  /** Which of `pools` exist, on which agent: where a volume that no longer exists can be restored to. */
  poolsOn(pools: readonly string[], signal?: AbortSignal): Promise<RestoreTargetPool[]>;
  /** Destroys the pool snapshot `snap` of `volume` wherever it still exists (no error when absent). */
  deleteSnapshot(volume: string, snap: string, signal?: AbortSignal): Promise<string[]>;
  close(): Promise<void>;
}

export interface VolumeHolder {
  /** The node name the agent reports (its Inventory). */
  node: string;
  dataset: string;
  /** Its pool (first component of the dataset). */
  pool: string;
  /** Snapshot names, oldest first. */
  snapshots: string[];
  /** Health of its pool (ONLINE, DEGRADED, ...) when known. */
  poolHealth?: string;
}

export interface VolumeBackupRequest {
  volume: string;
  /** The Velero backup name; also the snapshot's name. */
  backup: string;
  /** The schedule (backup name minus `-YYYYMMDDhhmmss`), "" for an ad-hoc backup. */
  schedule: string;
  disableIncrementalBackups: boolean;
  /** A full stream although incremental backups are on, for this reason (chain retirement). */
  fullBecause?: string;
  /** VolumeSnapshotLocation config for the agent (the plugin's own keys removed). */
  location: Record<string, string>;
  /** Committed backups of the location, listed just before. */
  manifests: readonly Manifest[];
}

export interface VolumeBackupOutcome {
  node: string;
  dataset: string;
  type: 'full' | 'incremental';
  bytes: number;
  /** Nodes tried first that failed (failover history), when any. */
  failedOver?: string[];
}

export interface RestoreTargetPool {
  node: string;
  pool: string;
}

export interface VolumeRestoreRequest {
  /** Names the restore job(s) on the agents. */
  restoreName: string;
  backup: string;
  /** The volume the backup was taken of. */
  sourceVolume: string;
  /** Each target receives <pool>/<targetVolume>, which must not exist yet. */
  targetVolume: string;
  targets: readonly RestoreTargetPool[];
  restoreAllIncrementalSnapshots: boolean;
  /** Set io.openebs:targetip to this on every restored dataset (autoSetTargetIP). */
  targetIp?: string;
  location: Record<string, string>;
}

export interface VolumeRestoreOutcome {
  replicas: { node: string; dataset: string; snapshot: string; restoredBackups: string[] }[];
}
