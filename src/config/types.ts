import type { LocationConfig } from '../location/location-config.js';
import type { LocationBehaviour } from './location-settings.js';
import type { CronSpec } from './parse-cron.js';

/** A named place backups go to, with the operator behaviour configured there. */
export interface SnapshotLocation {
  name: string;
  /** "file:line:col" of its definition, for messages. */
  source: string;
  /** The Velero plugin named by a VolumeSnapshotLocation; undefined in the standalone format. */
  plugin?: 'openebs.io/cstor-blockstore' | 'openebs.io/zfspv-blockstore';
  location: LocationConfig;
  behaviour: LocationBehaviour;
  /**
   * The location's keys as a VolumeSnapshotLocation spec.config string map, values as written. The
   * controller sends it to the agent (Location.vsl), which validates it with the same reader.
   */
  vslConfig: Record<string, string>;
}

export interface VolumeRef {
  /** Volume (PV) name: part of object names and of the completed-backup bookkeeping. */
  volume: string;
  /** ZFS dataset holding it, e.g. "tank/pvc-1". */
  dataset: string;
}

export interface ScheduleConfig {
  name: string;
  source: string;
  cron: CronSpec;
  /** Backups older than this expire; undefined = no age limit (standalone only). */
  ttlMs?: number;
  /** Keep at most this many backups per volume; undefined = no count limit. */
  keepLast?: number;
  /** Name of the SnapshotLocation it backs up to. */
  location: string;
  /** Volumes to back up; may be empty for Velero schedules, where Velero picks the PVs. */
  volumes: VolumeRef[];
  /**
   * h14-cluster: volume names or glob patterns ("pvc-*") resolved against the cluster's inventory at
   * every run (controller --discovery); `volumes` entries override a match with an explicit dataset.
   */
  volumeNames?: string[];
  paused: boolean;
  /** Velero's includedNamespaces, kept for display. */
  includedNamespaces: string[];
}

export interface SnapstreamConfig {
  locations: SnapshotLocation[];
  schedules: ScheduleConfig[];
  /** Things accepted but ignored (e.g. a VSL `credential`), "file:line:col: message" each. */
  warnings: string[];
}
