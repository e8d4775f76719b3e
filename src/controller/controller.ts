import type { Logger } from 'pino';
import type { ScheduleConfig, SnapshotLocation, SnapstreamConfig } from '../config/types.js';
import { ErrorCode, abortedError, isAbortError, toSnapstreamError } from '../errors.js';
import { promotionReason } from '../plan/retention-plan.js';
import { scheduledBackupName, scheduledBackupTime } from '../plan/scheduled-name.js';
import type { Manifest } from '../model/manifest.js';
import type { AgentClient } from './agent-client.js';
import { applyRetention } from './apply-retention.js';
import type { BackupCatalog } from './backup-catalog.js';
import type { ControllerMetrics } from './controller-metrics.js';
import { runVolumeBackup } from './run-volume-backup.js';
import { type SlotClock, slotClock, slotsBetween } from './schedule-slots.js';
import type { ClusterImpl } from '../cluster/open-cluster.js';
import { runClusterVolumeBackup } from '../cluster/cluster-volume-backup.js';
import { scheduleVolumes } from '../cluster/schedule-volumes.js';
import { snapshotRouter } from '../cluster/snapshot-router.js';
import { STATUS_FORMAT, STATUS_VERSION, type ScheduleStatus, type VolumeRunStatus } from './schedule-status.js';

export interface Clock {
  now(): Date;
  /** Resolves after `ms`, rejects ABORTED when `signal` fires first. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(abortedError(signal));
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(abortedError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }),
};

export interface RetryPolicy {
  /** Attempts per slot, the first included. */
  maxAttempts: number;
  /** Wait between attempts; a retry that would start after the next slot is not made. */
  delayMs: number;
}

export interface ControllerOptions {
  config: SnapstreamConfig;
  agent: AgentClient;
  /** Opens the catalog of a location (called once per location). */
  openCatalog: (location: SnapshotLocation) => Promise<BackupCatalog>;
  log: Logger;
  metrics?: ControllerMetrics;
  clock?: Clock;
  retry?: RetryPolicy;
  /**
   * h14-cluster: drive every agent of a cluster instead of `agent`: volumes (and volumeNames
   * patterns) are located through the agents' inventories, each backed up from a healthy replica
   * with failover, volumes of a run in parallel (per-node limit of the cluster).
   */
  cluster?: ClusterImpl;
}

/** Errors a retry cannot fix: the request itself is wrong. */
const PERMANENT = new Set<string>([ErrorCode.INVALID_ARGUMENT, ErrorCode.INVALID_NAME, ErrorCode.INVALID_LOCATION, ErrorCode.PERMISSION_DENIED, ErrorCode.ABORTED]);
const MAX_SLEEP_MS = 3_600_000;

/**
 * Runs the schedules. The bucket is its only memory: the last slot run is the newest backup of the
 * schedule (names carry the slot time) or its status record, whichever is later; a status still
 * "running" means the controller stopped mid-run, and that slot is finished first. A slot that
 * passed while nothing ran is caught up once (one run for any number of missed slots, reported);
 * a failed run is retried before the next slot and then reported, never dropped silently.
 */
export class Controller {
  private readonly clock: Clock;
  private readonly retry: RetryPolicy;
  private readonly catalogs = new Map<string, Promise<BackupCatalog>>();
  private readonly statuses = new Map<string, ScheduleStatus>();
  private readonly ac = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(private readonly opts: ControllerOptions) {
    this.clock = opts.clock ?? realClock;
    this.retry = opts.retry ?? { maxAttempts: 3, delayMs: 30_000 };
  }

  /** Starts one loop per schedule that is not paused and has volumes. */
  start(): void {
    for (const s of this.opts.config.schedules) {
      const log = this.opts.log.child({ schedule: s.name });
      if (s.paused) {
        log.info('schedule is paused; not running it');
        continue;
      }
      if (s.volumes.length === 0 && !(this.opts.cluster && s.volumeNames?.length)) {
        log.warn(`schedule has no volumes; add the annotation snapstream.io/volumes: "pvc-1=pool/pvc-1" (or "volumes" in the standalone config)`);
        continue;
      }
      this.loops.push(
        this.loop(s, log).catch((e: unknown) => {
          if (!isAbortError(e)) log.error({ err: (e as Error).message }, 'schedule loop stopped');
        }),
      );
    }
  }

  /** Stops every loop. A run in progress is abandoned, its status left "running" for the next start. */
  async stop(): Promise<void> {
    this.ac.abort(new Error('controller stopping'));
    await Promise.all(this.loops);
    for (const c of this.catalogs.values()) await (await c.catch(() => undefined))?.close();
    this.catalogs.clear();
  }

  private catalog(name: string): Promise<BackupCatalog> {
    let c = this.catalogs.get(name);
    if (c === undefined) {
      const loc = this.opts.config.locations.find((l) => l.name === name)!;
      c = this.opts.openCatalog(loc);
      this.catalogs.set(name, c);
    }
    return c;
  }

  private location(s: ScheduleConfig): SnapshotLocation {
    return this.opts.config.locations.find((l) => l.name === s.location)!;
  }

  private async loop(s: ScheduleConfig, log: Logger): Promise<void> {
    const signal = this.ac.signal;
    const clock = slotClock(s.cron);
    // The bucket may be unreachable when the controller starts; keep trying rather than give the
    // schedule up (a schedule that silently stops is the failure this controller exists to avoid).
    let loaded: [Manifest[], ScheduleStatus | undefined] | undefined;
    while (loaded === undefined) {
      try {
        const catalog = await this.catalog(s.location);
        loaded = await Promise.all([catalog.list(signal), catalog.readStatus(s.name, signal)]);
      } catch (e) {
        if (signal.aborted) throw e;
        this.catalogs.delete(s.location);
        log.error({ err: (e as Error).message, retryInMs: this.retry.delayMs }, 'cannot read the location; retrying');
        await this.clock.sleep(this.retry.delayMs, signal);
      }
    }
    const [manifests, status] = loaded;
    if (status) this.statuses.set(s.name, status);
    let last: Date | undefined;
    for (const m of manifests) {
      const t = m.schedule === s.name ? scheduledBackupTime(m.backup, s.name) : undefined;
      if (t && (last === undefined || t > last)) last = t;
    }
    if (status && (last === undefined || new Date(status.lastSlot) > last)) last = new Date(status.lastSlot);
    log.info({ lastSlot: last?.toISOString() ?? null, lastResult: status?.lastResult ?? null, backups: manifests.filter((m) => m.schedule === s.name).length }, 'schedule loaded');
    if (status?.lastResult === 'running') {
      log.warn({ slot: status.lastSlot }, 'the previous controller stopped during this slot; finishing it');
      await this.runSafely(s, new Date(status.lastSlot), signal, clock, 0, log);
    }
    // Without any history there is nothing to catch up: the first run is the next slot (as Velero).
    let base = last ?? this.clock.now();
    for (;;) {
      const now = this.clock.now();
      const next = clock.nextAfter(base);
      if (next === undefined) {
        log.info('schedule never fires again');
        return;
      }
      if (next > now) {
        this.opts.metrics?.nextRun.set({ schedule: s.name }, next.getTime() / 1000);
        await this.clock.sleep(Math.min(next.getTime() - now.getTime(), MAX_SLEEP_MS), signal);
        continue;
      }
      const slot = clock.latestAtOrBefore(now)!;
      const missed = slotsBetween(clock, base, slot);
      if (missed > 0) {
        log.warn({ missed, slot: slot.toISOString(), since: base.toISOString() }, 'slots passed without a run; running the latest one now');
        this.opts.metrics?.missedSlots.inc({ schedule: s.name }, missed);
      }
      await this.runSafely(s, slot, signal, clock, missed, log);
      base = slot;
    }
  }

  /** runSlot, with an error it could not record (the bucket went away mid-run) logged and counted. */
  private async runSafely(s: ScheduleConfig, slot: Date, signal: AbortSignal, clock: SlotClock, missed: number, log: Logger): Promise<void> {
    try {
      await this.runSlot(s, slot, signal, clock, missed);
    } catch (e) {
      if (signal.aborted) throw e;
      const err = toSnapstreamError(e);
      log.error({ slot: slot.toISOString(), code: err.code, err: err.message }, 'scheduled run failed and its status could not be recorded');
      this.opts.metrics?.runs.inc({ schedule: s.name, result: 'failed' });
      this.opts.metrics?.lastResult.set({ schedule: s.name }, 0);
    }
  }

  /**
   * Runs one slot of a schedule, with retries, then applies retention and records the status.
   * Public for tests and for a "run now" (any slot time is accepted; its backup name derives from it).
   */
  async runSlot(s: ScheduleConfig, slot: Date, signal: AbortSignal = this.ac.signal, clock: SlotClock = slotClock(s.cron), missed = 0): Promise<ScheduleStatus> {
    const log = this.opts.log.child({ schedule: s.name, slot: slot.toISOString() });
    const catalog = await this.catalog(s.location);
    const loc = this.location(s);
    const backupName = scheduledBackupName(s.name, slot);
    const prev = this.statuses.get(s.name);
    const status: ScheduleStatus = {
      format: STATUS_FORMAT,
      version: STATUS_VERSION,
      schedule: s.name,
      lastSlot: slot.toISOString(),
      lastBackup: backupName,
      lastResult: 'running',
      lastStartedAt: this.clock.now().toISOString(),
      lastFinishedAt: '',
      lastError: '',
      attempts: 0,
      lastSuccessAt: prev?.lastSuccessAt ?? '',
      consecutiveFailures: prev?.consecutiveFailures ?? 0,
      missedSlots: (prev?.missedSlots ?? 0) + missed,
      volumes: [],
    };
    this.statuses.set(s.name, status);
    this.opts.metrics?.lastRun.set({ schedule: s.name }, slot.getTime() / 1000);
    const started = Date.now();
    const onDestroyed = (_snap: string, reason: string) => this.opts.metrics?.snapshotsDestroyed.inc({ schedule: s.name, reason });
    const onRefused = (_snap: string, reason: string) => this.opts.metrics?.snapshotsKept.inc({ schedule: s.name, reason });

    let volumes: VolumeRunStatus[] = [];
    for (;;) {
      status.attempts++;
      await catalog.writeStatus(status, signal);
      log.info({ backup: backupName, attempt: status.attempts, volumes: s.volumes.length }, 'scheduled run starting');
      const manifests = await catalog.list(signal);
      volumes = [];
      if (this.opts.cluster) {
        volumes = await this.runClusterVolumes(s, slot, manifests, loc, log, onDestroyed, signal);
      }
      for (const v of this.opts.cluster ? [] : s.volumes) {
        try {
          const fullBecause = loc.behaviour.disableIncrementalBackups
            ? undefined
            : promotionReason({ manifests, schedule: s.name, volume: v.volume, now: slot, ...retentionOf(s) });
          const r = await runVolumeBackup(
            {
              schedule: s.name,
              slot,
              volume: v.volume,
              dataset: v.dataset,
              disableIncrementalBackups: loc.behaviour.disableIncrementalBackups,
              location: loc.vslConfig,
              manifests,
              ...(fullBecause !== undefined ? { fullBecause } : {}),
            },
            { agent: this.opts.agent, log, onDestroyed, onRefused, ...(catalog.isTrusted ? { isTrusted: (m: Manifest) => catalog.isTrusted!(m) } : {}) },
            signal,
          );
          volumes.push(r);
          this.opts.metrics?.volumeBackups.inc({ schedule: s.name, type: r.type ?? 'full', result: 'succeeded' });
        } catch (e) {
          const err = toSnapstreamError(e);
          if (err.code === ErrorCode.ABORTED && signal.aborted) throw err;
          volumes.push({ volume: v.volume, result: 'failed', error: err.message, errorCode: err.code });
          this.opts.metrics?.volumeBackups.inc({ schedule: s.name, type: 'unknown', result: 'failed' });
        }
      }
      const failed = volumes.filter((v) => v.result === 'failed');
      if (failed.length === 0) break;
      const nextSlot = clock.nextAfter(slot);
      const retryAt = this.clock.now().getTime() + this.retry.delayMs;
      const permanent = failed.every((f) => PERMANENT.has(f.errorCode ?? ''));
      if (status.attempts >= this.retry.maxAttempts || permanent || (nextSlot !== undefined && retryAt >= nextSlot.getTime())) {
        const why = permanent ? 'the error is not one a retry can fix' : status.attempts >= this.retry.maxAttempts ? 'no attempts left' : 'the next slot comes first';
        log.error({ failed, attempts: status.attempts }, `scheduled run failed; not retrying (${why})`);
        break;
      }
      log.warn({ failed, retryInMs: this.retry.delayMs }, 'scheduled run failed; retrying');
      this.opts.metrics?.retries.inc({ schedule: s.name });
      status.volumes = volumes;
      status.lastError = describeFailures(failed);
      await this.clock.sleep(this.retry.delayMs, signal);
    }

    const ok = volumes.every((v) => v.result !== 'failed');
    status.volumes = volumes;
    status.lastResult = ok ? 'succeeded' : 'failed';
    status.lastFinishedAt = this.clock.now().toISOString();
    status.lastError = describeFailures(volumes.filter((v) => v.result === 'failed'));
    status.consecutiveFailures = ok ? 0 : status.consecutiveFailures + 1;
    if (ok) status.lastSuccessAt = status.lastFinishedAt;
    const result = ok ? 'succeeded' : 'failed';
    this.opts.metrics?.runs.inc({ schedule: s.name, result });
    this.opts.metrics?.runDuration.observe({ schedule: s.name, result }, (Date.now() - started) / 1000);
    this.opts.metrics?.lastResult.set({ schedule: s.name }, ok ? 1 : 0);
    if (ok) this.opts.metrics?.lastSuccess.set({ schedule: s.name }, Date.parse(status.lastFinishedAt) / 1000);

    // Retention runs after failures too: the newest backup never expires, so a failing schedule
    // keeps its last good backup, while older ones still age out on time.
    try {
      const manifests = await catalog.list(signal);
      const cluster = this.opts.cluster;
      const r = await applyRetention(
        { schedule: s.name, now: this.clock.now(), ...retentionOf(s), volumes: s.volumes, manifests, ...(cluster ? { anyDataset: true } : {}) },
        {
          catalog,
          agent: cluster ? snapshotRouter(cluster) : this.opts.agent,
          log,
          onDestroyed: (snap) => onDestroyed(snap, 'expired'),
          onRefused,
          ...(catalog.isTrusted ? { isTrusted: (m: Manifest) => catalog.isTrusted!(m) } : {}),
        },
        signal,
      );
      this.opts.metrics?.backupsExpired.inc({ schedule: s.name }, r.deleted.length);
      this.opts.metrics?.expiryBlocked.set({ schedule: s.name }, r.blocked.length);
      this.opts.metrics?.backups.set({ schedule: s.name }, r.remaining);
    } catch (e) {
      if (signal.aborted) throw e;
      log.warn({ err: (e as Error).message }, 'retention failed; it runs again after the next slot');
    }
    // h15-dedup: after retention, collect the segments no manifest references any more (safe while
    // other backups run: src/dedup/gc-plan.ts). A location without dedup data is left untouched.
    if (catalog.gc) {
      try {
        const g = await catalog.gc(signal);
        if (g.action !== 'none') log.info({ gc: g }, 'dedup garbage collection ran');
        if (g.deleted > 0) this.opts.metrics?.dedupGcDeletedBytes.inc(g.deletedBytes);
      } catch (e) {
        if (signal.aborted) throw e;
        log.warn({ err: (e as Error).message }, 'dedup garbage collection failed; it runs again after the next slot');
      }
    }
    await catalog.writeStatus(status, signal);
    log[ok ? 'info' : 'error']({ backup: backupName, result, attempts: status.attempts, volumes }, 'scheduled run finished');
    return status;
  }

  /**
   * h14-cluster: the volumes of one attempt on a cluster, all at once; the cluster's per-node limiter
   * keeps each node to its share, so volumes on different nodes run in parallel.
   */
  private async runClusterVolumes(
    s: ScheduleConfig,
    slot: Date,
    manifests: Manifest[],
    loc: SnapshotLocation,
    log: Logger,
    onDestroyed: (snap: string, reason: string) => void,
    signal: AbortSignal,
  ): Promise<VolumeRunStatus[]> {
    const cluster = this.opts.cluster!;
    let refs;
    try {
      refs = scheduleVolumes(await cluster.recentInventory(signal), s.volumeNames ?? [], s.volumes);
    } catch (e) {
      const err = toSnapstreamError(e);
      if (err.code === ErrorCode.ABORTED && signal.aborted) throw err;
      return [{ volume: '*', result: 'failed', error: `cannot list the cluster's volumes: ${err.message}`, errorCode: err.code }];
    }
    if (refs.length === 0) log.warn({ volumeNames: s.volumeNames }, 'no volume of the cluster matches the schedule');
    return Promise.all(
      refs.map(async (ref): Promise<VolumeRunStatus> => {
        try {
          const fullBecause = loc.behaviour.disableIncrementalBackups
            ? undefined
            : promotionReason({ manifests, schedule: s.name, volume: ref.volume, now: slot, ...retentionOf(s) });
          const r = await runClusterVolumeBackup(
            {
              ref,
              schedule: s.name,
              slot,
              volume: ref.volume,
              disableIncrementalBackups: loc.behaviour.disableIncrementalBackups,
              location: loc.vslConfig,
              manifests,
              ...(fullBecause !== undefined ? { fullBecause } : {}),
            },
            { cluster, log, onDestroyed },
            signal,
          );
          this.opts.metrics?.volumeBackups.inc({ schedule: s.name, type: r.type ?? 'full', result: 'succeeded' });
          return r;
        } catch (e) {
          const err = toSnapstreamError(e);
          if (err.code === ErrorCode.ABORTED && signal.aborted) throw err;
          this.opts.metrics?.volumeBackups.inc({ schedule: s.name, type: 'unknown', result: 'failed' });
          return { volume: ref.volume, result: 'failed', error: err.message, errorCode: err.code };
        }
      }),
    );
  }
}

function retentionOf(s: ScheduleConfig): { ttlMs?: number; keepLast?: number } {
  return { ...(s.ttlMs !== undefined ? { ttlMs: s.ttlMs } : {}), ...(s.keepLast !== undefined ? { keepLast: s.keepLast } : {}) };
}

function describeFailures(failed: VolumeRunStatus[]): string {
  return failed.map((f) => `${f.volume}: ${f.errorCode ?? 'ERROR'} ${f.error ?? ''}`.trim()).join('; ');
}
