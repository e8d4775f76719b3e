import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { StoreRequestMetrics } from '../store/decorators/store-request-metrics.js';
import type { JobHooks } from './jobs/job-manager.js';
import type { JobKind, JobPhase } from './jobs/job-types.js';

/**
 * The agent's Prometheus metrics, on a registry of its own (tests start several agents in one
 * process). Names follow Prometheus conventions: *_total counters, *_bytes, *_seconds.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly bytesSent: Counter;
  readonly bytesReceived: Counter;
  readonly jobs: Counter<'kind' | 'phase' | 'code'>;
  readonly jobDuration: Histogram<'kind' | 'phase'>;
  readonly partsRetried: Counter<'kind'>;
  readonly stalls: Counter<'kind'>;
  readonly backpressureWaits: Counter<'kind'>;
  readonly inFlight: Gauge;
  readonly queued: Gauge;
  readonly memoryReserved: Gauge;
  readonly memoryBudget: Gauge;
  /** h15-dedup: logical stream bytes of deduplicated backups, and the bytes they added (ratio = logical / added). */
  readonly dedupLogicalBytes: Counter;
  readonly dedupAddedBytes: Counter;
  /** Requests of every store the agent opens (the stores' metrics decorator feeds it). */
  readonly store: StoreRequestMetrics;

  constructor(opts: { memoryBudgetBytes: number; defaultMetrics?: boolean }) {
    const registers = [this.registry];
    this.bytesSent = new Counter({ name: 'snapstream_bytes_sent_total', help: 'Backup stream bytes sent to object storage', registers });
    this.bytesReceived = new Counter({ name: 'snapstream_bytes_received_total', help: 'Stream bytes read from object storage (restore, verify)', registers });
    this.jobs = new Counter({ name: 'snapstream_jobs_total', help: 'Finished jobs by kind, final phase and error code', labelNames: ['kind', 'phase', 'code'], registers });
    this.jobDuration = new Histogram({
      name: 'snapstream_job_duration_seconds',
      help: 'Job run time from start to end',
      labelNames: ['kind', 'phase'],
      buckets: [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600],
      registers,
    });
    this.partsRetried = new Counter({ name: 'snapstream_parts_retried_total', help: 'Part uploads/downloads retried after a transient error', labelNames: ['kind'], registers });
    this.stalls = new Counter({ name: 'snapstream_stalled_jobs_total', help: 'Jobs aborted because they made no progress for the stall timeout', labelNames: ['kind'], registers });
    this.backpressureWaits = new Counter({
      name: 'snapstream_backpressure_stalls_total',
      help: 'Times a transfer paused because all part slots were busy (the store is the bottleneck)',
      labelNames: ['kind'],
      registers,
    });
    this.inFlight = new Gauge({ name: 'snapstream_jobs_in_flight', help: 'Jobs running now', registers });
    this.queued = new Gauge({ name: 'snapstream_jobs_queued', help: 'Jobs waiting for a slot or memory', registers });
    this.memoryReserved = new Gauge({ name: 'snapstream_memory_budget_in_use_bytes', help: 'Memory reserved by running jobs', registers });
    this.memoryBudget = new Gauge({ name: 'snapstream_memory_budget_bytes', help: 'Configured memory budget for all jobs', registers });
    this.memoryBudget.set(opts.memoryBudgetBytes);
    this.dedupLogicalBytes = new Counter({ name: 'snapstream_dedup_logical_bytes_total', help: 'Stream bytes of deduplicated backups (what a plain backup would have stored)', registers });
    this.dedupAddedBytes = new Counter({ name: 'snapstream_dedup_added_bytes_total', help: 'Bytes deduplicated backups added to their locations (new segments + recipes)', registers });
    this.store = new StoreRequestMetrics(this.registry);
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'snapstream_' });
  }

  jobHooks(): JobHooks {
    return {
      finished: (kind: JobKind, phase: JobPhase, code: string | undefined, seconds: number) => {
        this.jobs.inc({ kind, phase, code: code ?? '' });
        this.jobDuration.observe({ kind, phase }, seconds);
        // Counted by outcome: the core's meter and the job manager both detect stalls, whichever first.
        if (code === 'STALLED') this.stalls.inc({ kind });
      },
      progress: (kind, delta) => (kind === 'backup' ? this.bytesSent : this.bytesReceived).inc(delta),
      gauges: ({ running, queued, reservedBytes }) => {
        this.inFlight.set(running);
        this.queued.set(queued);
        this.memoryReserved.set(reservedBytes);
      },
    };
  }
}
