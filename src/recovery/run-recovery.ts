import type { Logger } from 'pino';
import type { ObjectStore } from '../store/object-store.js';
import { type DatasetName, parseDatasetName } from '../zfs/names.js';
import type { Zfs } from '../zfs/zfs.js';
import { type StoreCleanupEntry, cleanupStore } from './cleanup-store.js';
import { type DatasetRecoveryEntry, recoverDatasets } from './recover-datasets.js';

export interface RecoveryOptions {
  /** ZFS side: the dataset subtrees to scan ([] = skip). */
  zfs?: Zfs;
  roots?: readonly DatasetName[];
  /** Store side: the location to clean (omit = skip). */
  store?: ObjectStore;
  /** The location's backups/ prefix (backupsPrefix(layout)): the store side stays below it. */
  storePrefix?: string;
  graceSeconds: number;
  dryRun?: boolean;
  signal?: AbortSignal;
  log: Logger;
}

export interface RecoverySummary {
  datasetsDestroyed: number;
  datasetsRenamed: number;
  markersCleared: number;
  uploadsRemoved: number;
  recordsRemoved: number;
  kept: number;
  failed: number;
  /** Planned but not done because of dryRun. */
  planned: number;
}

export interface RecoveryReport {
  dryRun: boolean;
  graceSeconds: number;
  datasets: DatasetRecoveryEntry[];
  store: StoreCleanupEntry[];
  summary: RecoverySummary;
}

/** One recovery pass (start-up, `snapstream cleanup`, the Cleanup RPC): ZFS side, then store side. */
export async function runRecovery(opts: RecoveryOptions): Promise<RecoveryReport> {
  const datasets = opts.zfs && opts.roots?.length
    ? await recoverDatasets(opts.zfs, { roots: opts.roots, graceSeconds: opts.graceSeconds, dryRun: opts.dryRun, signal: opts.signal, log: opts.log })
    : [];
  const store = opts.store ? await cleanupStore(opts.store, { prefix: opts.storePrefix ?? '', graceSeconds: opts.graceSeconds, dryRun: opts.dryRun, signal: opts.signal, log: opts.log }) : [];
  return { dryRun: opts.dryRun === true, graceSeconds: opts.graceSeconds, datasets, store, summary: summarize(datasets, store) };
}

export function summarize(datasets: readonly DatasetRecoveryEntry[], store: readonly StoreCleanupEntry[]): RecoverySummary {
  const count = <T>(xs: readonly T[], f: (x: T) => boolean) => xs.filter(f).length;
  return {
    datasetsDestroyed: count(datasets, (d) => d.action === 'destroyed'),
    datasetsRenamed: count(datasets, (d) => d.action === 'renamed'),
    markersCleared: count(datasets, (d) => d.action === 'cleared'),
    uploadsRemoved: count(store, (s) => s.kind === 'upload' && s.action === 'removed'),
    recordsRemoved: count(store, (s) => s.kind === 'progress-record' && s.action === 'removed'),
    kept: count(datasets, (d) => d.action === 'kept') + count(store, (s) => s.action === 'kept'),
    failed: count(datasets, (d) => d.action === 'failed'),
    planned: count(datasets, (d) => d.action.startsWith('would-')) + count(store, (s) => s.action === 'would-remove'),
  };
}

/** The roots an agent scans: its allowed pools, or with allowAnyPool every imported pool. */
export async function agentRoots(zfs: Zfs, allowedPools: readonly string[], allowAnyPool: boolean, signal?: AbortSignal): Promise<DatasetName[]> {
  if (!allowAnyPool) return allowedPools.map((p) => parseDatasetName(p));
  const out = await zfs.run(['list', '-H', '-d', '0', '-o', 'name'], signal);
  return out.split('\n').filter(Boolean).map((p) => parseDatasetName(p));
}

/** Human-readable lines for the CLI and logs. */
export function formatReport(r: RecoveryReport): string {
  const lines: string[] = [];
  for (const d of r.datasets) lines.push(`${d.action.padEnd(13)} dataset ${d.dataset}${d.to ? ` -> ${d.to}` : ''}: ${d.reason}`);
  for (const s of r.store) lines.push(`${s.action.padEnd(13)} ${s.kind} ${s.key}: ${s.reason}`);
  const m = r.summary;
  lines.push(
    `${r.dryRun ? 'dry run: ' : ''}${m.datasetsDestroyed} dataset(s) destroyed, ${m.datasetsRenamed} renamed, ${m.markersCleared} marker set(s) cleared, ` +
      `${m.uploadsRemoved} upload(s) and ${m.recordsRemoved} progress record(s) removed, ${m.kept} kept, ${m.failed} failed` +
      `${r.dryRun ? `, ${m.planned} planned` : ''} (grace ${r.graceSeconds} s)`,
  );
  return lines.join('\n') + '\n';
}
