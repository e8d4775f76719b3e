import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The controller's Prometheus metrics, on a registry of its own (tests run several controllers). */
export class ControllerMetrics {
  readonly registry = new Registry();
  readonly runs: Counter<'schedule' | 'result'>;
  readonly volumeBackups: Counter<'schedule' | 'type' | 'result'>;
  readonly runDuration: Histogram<'schedule' | 'result'>;
  readonly retries: Counter<'schedule'>;
  readonly missedSlots: Counter<'schedule'>;
  readonly backupsExpired: Counter<'schedule'>;
  /** h15-dedup: bytes of unreferenced segments the controller's GC deleted. */
  readonly dedupGcDeletedBytes: Counter;
  readonly expiryBlocked: Gauge<'schedule'>;
  readonly snapshotsDestroyed: Counter<'schedule' | 'reason'>;
  readonly snapshotsKept: Counter<'schedule' | 'reason'>;
  readonly backups: Gauge<'schedule'>;
  readonly lastSuccess: Gauge<'schedule'>;
  readonly lastRun: Gauge<'schedule'>;
  readonly nextRun: Gauge<'schedule'>;
  readonly lastResult: Gauge<'schedule'>;
  /** h14-velero: with --discovery, transfers running per node and failovers from a node. */
  readonly clusterInflight: Gauge<'node'>;
  readonly clusterFailovers: Counter<'node' | 'code'>;
  private inflightSource: (() => Map<string, number>) | undefined;
  private readonly inflightSeen = new Set<string>();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const s = ['schedule'] as const;
    this.runs = new Counter({ name: 'snapstream_schedule_runs_total', help: 'Scheduled runs by final result (succeeded | failed)', labelNames: ['schedule', 'result'], registers });
    this.volumeBackups = new Counter({
      name: 'snapstream_schedule_volume_backups_total',
      help: 'Per-volume backups of scheduled runs by type (full | incremental) and result',
      labelNames: ['schedule', 'type', 'result'],
      registers,
    });
    this.runDuration = new Histogram({
      name: 'snapstream_schedule_run_duration_seconds',
      help: 'Wall time of a scheduled run, all volumes, retries included',
      labelNames: ['schedule', 'result'],
      buckets: [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600],
      registers,
    });
    this.retries = new Counter({ name: 'snapstream_schedule_retries_total', help: 'Retries of a failed run before its next slot', labelNames: s, registers });
    this.missedSlots = new Counter({
      name: 'snapstream_schedule_missed_slots_total',
      help: 'Slots that passed without a run (controller down or previous run still busy); one catch-up run covers them',
      labelNames: s,
      registers,
    });
    this.dedupGcDeletedBytes = new Counter({ name: 'snapstream_dedup_gc_deleted_bytes_total', help: 'Bytes of unreferenced dedup segments deleted by garbage collection', registers });
    this.backupsExpired = new Counter({ name: 'snapstream_schedule_backups_expired_total', help: 'Backups deleted by retention (TTL / keepLast)', labelNames: s, registers });
    this.expiryBlocked = new Gauge({
      name: 'snapstream_schedule_expiry_blocked_backups',
      help: 'Expired backups kept because a live incremental backup still depends on them',
      labelNames: s,
      registers,
    });
    this.snapshotsDestroyed = new Counter({
      name: 'snapstream_schedule_snapshots_destroyed_total',
      help: 'Pool snapshots destroyed by cleanup (reason: cleanup | failed | expired | orphan)',
      labelNames: ['schedule', 'reason'],
      registers,
    });
    this.snapshotsKept = new Counter({
      name: 'snapstream_schedule_snapshots_kept_total',
      help: 'Snapshots cleanup or retention would have destroyed but kept: not made by the schedule (reason: foreign-name | other-dataset | no-guid | guid-mismatch | unauthenticated)',
      labelNames: ['schedule', 'reason'],
      registers,
    });
    this.backups = new Gauge({ name: 'snapstream_schedule_backups', help: 'Committed backups of the schedule in its location (all volumes)', labelNames: s, registers });
    this.lastSuccess = new Gauge({ name: 'snapstream_schedule_last_success_timestamp_seconds', help: 'End of the last fully successful run', labelNames: s, registers });
    this.lastRun = new Gauge({ name: 'snapstream_schedule_last_run_timestamp_seconds', help: 'Slot time of the last run', labelNames: s, registers });
    this.nextRun = new Gauge({ name: 'snapstream_schedule_next_run_timestamp_seconds', help: 'Slot time of the next run', labelNames: s, registers });
    this.lastResult = new Gauge({ name: 'snapstream_schedule_last_run_success', help: '1 when the last run succeeded, 0 when it failed', labelNames: s, registers });
    const self = this;
    this.clusterInflight = new Gauge({
      name: 'snapstream_cluster_node_inflight_transfers',
      help: 'Backup and restore jobs this controller runs on the node now (bounded by --per-node-limit)',
      labelNames: ['node'],
      registers,
      collect() {
        const now = self.inflightSource?.() ?? new Map<string, number>();
        for (const n of now.keys()) self.inflightSeen.add(n);
        // A node seen once stays as a 0 series rather than vanishing between scrapes.
        for (const n of self.inflightSeen) this.set({ node: n }, now.get(n) ?? 0);
      },
    });
    this.clusterFailovers = new Counter({
      name: 'snapstream_cluster_failovers_total',
      help: 'Backups that moved to another replica because this node failed (code: why, e.g. UNAVAILABLE)',
      labelNames: ['node', 'code'],
      registers,
    });
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'snapstream_controller_' });
  }

  /** Reports the cluster's per-node in-flight transfers (its NodeLimiter) at every scrape. */
  watchCluster(source: () => Map<string, number>): void {
    this.inflightSource = source;
  }

  /** ClusterOptions.onFailover for this registry. */
  readonly onFailover = (e: { attempt: { node: string; code: string } }): void => {
    this.clusterFailovers.inc({ node: e.attempt.node, code: e.attempt.code });
  };
}
