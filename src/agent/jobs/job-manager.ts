import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError, toSnapstreamError } from '../../errors.js';
import { StallWatchdog } from '../../util/stall-watchdog.js';
import { decideAdmission, fitsNow } from './admission.js';
import { failedPhaseOf, toJobError } from './job-error.js';
import { type JobListener, type JobRecord, copyState, emitState, newJobRecord } from './job-record.js';
import { JobTable } from './job-table.js';
import { type JobError, type JobKind, type JobPhase, type JobProgress, type JobSpec, type JobState, isTerminal } from './job-types.js';

export type { JobListener } from './job-record.js';

export interface JobManagerOptions {
  maxConcurrentJobs: number;
  memoryBudgetBytes: number;
  /** Jobs that may wait for a slot; beyond this, submit refuses with RESOURCE_EXHAUSTED. */
  maxQueuedJobs: number;
  /** How long finished jobs stay queryable (and joinable by their idempotency key). */
  retentionMs: number;
  /**
   * Abort a running job when its progress has not changed for this long, unless its spec says its
   * pipeline watches itself (stallTimeoutMs 0): one watchdog per job, never two.
   */
  stallTimeoutMs: number;
  log: Logger;
  hooks?: JobHooks;
  /** Test seam. */
  now?: () => number;
}

/** Observability hooks (metrics) called by the manager; all optional. */
export interface JobHooks {
  started?(kind: JobKind): void;
  finished?(kind: JobKind, phase: JobPhase, code: string | undefined, seconds: number): void;
  /** A job ended STALLED (its own watchdog or its pipeline's). */
  stalled?(kind: JobKind): void;
  progress?(kind: JobKind, deltaBytes: number): void;
  gauges?(g: { running: number; queued: number; reservedBytes: number }): void;
}

/**
 * Runs backup/restore/verify jobs on one node within fixed limits: at most N at once, together
 * within a memory budget (each job reserves its worst case before it starts), a bounded FIFO queue
 * beyond that, and RESOURCE_EXHAUSTED past the queue, so load can slow the node but never OOM it.
 *
 * Idempotency (a submit whose key matches a live or successful job joins it) is job-table.ts.
 */
export class JobManager {
  private readonly jobs: JobTable;
  private readonly queue: JobRecord[] = [];
  private readonly running = new Set<JobRecord>();
  private reservedBytes = 0;
  private accepting = true;
  private readonly pruneTimer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly opts: JobManagerOptions) {
    this.now = opts.now ?? Date.now;
    this.jobs = new JobTable(opts.retentionMs, this.now);
    this.pruneTimer = setInterval(() => this.jobs.prune(), Math.max(1000, Math.min(opts.retentionMs, 60_000)));
    this.pruneTimer.unref();
  }

  get reserved(): number {
    return this.reservedBytes;
  }

  get isAccepting(): boolean {
    return this.accepting;
  }

  submit(spec: JobSpec): { job: JobState; joined: boolean } {
    if (!this.accepting) {
      throw new SnapstreamError(ErrorCode.UNAVAILABLE, 'the agent is shutting down and accepts no new jobs; retry on the restarted agent', {
        retryable: true,
      });
    }
    const existing = this.jobs.joinable(spec.key, spec.fingerprint);
    if (existing) return { job: copyState(existing.state), joined: true };

    const admission = decideAdmission(this.admissionState(), spec.memoryBytes);
    if (admission.action === 'refuse') {
      const mib = (n: number) => `${Math.ceil(n / 1048576)} MiB`;
      throw new SnapstreamError(
        ErrorCode.RESOURCE_EXHAUSTED,
        admission.reason === 'never-fits'
          ? `the job needs ${mib(spec.memoryBytes)} of part buffers ((concurrency + 1) x part size + 16 MiB) but the agent's ` +
            `memory budget is ${mib(this.opts.memoryBudgetBytes)}; lower transfer.concurrency or transfer.partSizeBytes, ` +
            'or raise the agent\'s memoryBudgetBytes (--memory-budget)'
          : `${this.running.size} jobs running and ${this.queue.length} queued (the limit); retry later`,
        { retryable: admission.reason === 'queue-full', details: { needBytes: spec.memoryBytes } },
      );
    }

    const rec = newJobRecord(spec, this.now(), this.opts.log);
    this.jobs.add(rec);
    if (admission.action === 'start') this.start(rec);
    else {
      this.queue.push(rec);
      rec.log.info({ queued: this.queue.length }, 'job queued');
      this.publishGauges();
    }
    return { job: copyState(rec.state), joined: false };
  }

  /**
   * The job a submit with this key would join, if any (lets a handler skip preparation I/O for a
   * retry). Throws ALREADY_EXISTS when the key belongs to a different request.
   */
  lookup(key: string, fingerprint: string): JobState | undefined {
    const existing = this.jobs.joinable(key, fingerprint);
    return existing && copyState(existing.state);
  }

  get(id: string): JobState | undefined {
    const rec = this.jobs.get(id);
    return rec && copyState(rec.state);
  }

  list(): JobState[] {
    this.jobs.prune();
    return this.jobs.all().map((r) => copyState(r.state));
  }

  /** Cancels a job; cancelling a finished job is a no-op. Resolves once the job has ended. */
  async cancel(id: string, why = 'cancelled by CancelJob'): Promise<JobState> {
    const rec = this.mustGet(id);
    this.abortRecord(rec, new SnapstreamError(ErrorCode.ABORTED, why));
    await rec.done;
    return copyState(rec.state);
  }

  /** Calls `listener` on every change until unsubscribed; terminal jobs never change again. */
  subscribe(id: string, listener: JobListener): () => void {
    const rec = this.mustGet(id);
    rec.listeners.add(listener);
    return () => rec.listeners.delete(listener);
  }

  /** Resolves with the job's final state. */
  async wait(id: string): Promise<JobState> {
    const rec = this.mustGet(id);
    await rec.done;
    return copyState(rec.state);
  }

  /**
   * SIGTERM: stop accepting, cancel queued and running jobs (their cleanup aborts uploads and kills
   * receives), and wait for them to end, at most `graceMs`. Returns true when everything ended.
   */
  async shutdown(graceMs: number): Promise<boolean> {
    this.accepting = false;
    clearInterval(this.pruneTimer);
    const live = this.jobs.all().filter((r) => !isTerminal(r.state.phase));
    for (const rec of live) {
      this.abortRecord(rec, new SnapstreamError(ErrorCode.UNAVAILABLE, 'the agent shut down during the job; retry it', { retryable: true }));
    }
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      Promise.all(live.map((r) => r.done)).then(() => true),
      new Promise<boolean>((res) => {
        timer = setTimeout(() => res(false), graceMs);
      }),
    ]);
    clearTimeout(timer);
    return ended;
  }

  private mustGet(id: string): JobRecord {
    const rec = this.jobs.get(id);
    if (!rec) throw new SnapstreamError(ErrorCode.NOT_FOUND, `no job ${JSON.stringify(id)} on this agent (finished jobs are kept for a limited time)`);
    return rec;
  }

  private admissionState() {
    return {
      running: this.running.size,
      maxConcurrent: this.opts.maxConcurrentJobs,
      reservedBytes: this.reservedBytes,
      budgetBytes: this.opts.memoryBudgetBytes,
      queued: this.queue.length,
      maxQueued: this.opts.maxQueuedJobs,
    };
  }

  private start(rec: JobRecord): void {
    this.running.add(rec);
    this.reservedBytes += rec.state.memoryBytes;
    rec.state.phase = 'Init';
    rec.state.startedAt = new Date(this.now());
    this.opts.hooks?.started?.(rec.state.kind);
    this.publishGauges();
    rec.log.info({ description: rec.state.description, memoryBytes: rec.state.memoryBytes }, 'job started');
    emitState(rec);

    const stallMs = rec.spec.stallTimeoutMs ?? this.opts.stallTimeoutMs;
    if (stallMs > 0) {
      rec.watchdog = new StallWatchdog({
        timeoutMs: stallMs,
        now: this.now,
        onStall: (idle) => {
          rec.log.warn({ idleMs: idle }, 'job stalled');
          this.abortRecord(
            rec,
            new SnapstreamError(ErrorCode.STALLED, `no progress for ${Math.round(idle / 1000)} s (stall timeout ${Math.round(stallMs / 1000)} s); ` +
              'check the object store and the pool, then retry', { retryable: true }),
          );
        },
      });
    }

    const ctx = {
      signal: rec.controller.signal,
      log: rec.log,
      progress: (p: JobProgress) => this.onProgress(rec, p),
    };
    // The job runs detached from the RPC that started it; settle() owns every outcome.
    Promise.resolve()
      .then(() => rec.spec.run(ctx))
      .then(
        (result) => this.settle(rec, undefined, result),
        (err: unknown) => this.settle(rec, err, undefined),
      );
  }

  private onProgress(rec: JobRecord, p: JobProgress): void {
    if (isTerminal(rec.state.phase)) return;
    const prev = rec.state.progress;
    if (p.bytes !== prev.bytes || p.stage !== prev.stage || p.part !== prev.part) rec.watchdog?.touch();
    if (p.bytes > prev.bytes) this.opts.hooks?.progress?.(rec.state.kind, p.bytes - prev.bytes);
    rec.state.progress = { ...p };
    if (p.stage === 'transfer' || p.stage === 'commit') rec.state.phase = 'InProgress';
    emitState(rec);
  }

  private abortRecord(rec: JobRecord, reason: SnapstreamError): void {
    if (isTerminal(rec.state.phase)) return;
    const qi = this.queue.indexOf(rec);
    if (qi >= 0) {
      // Never started: nothing to clean up.
      this.queue.splice(qi, 1);
      this.finish(rec, 'Failed', toJobError(reason), undefined);
      return;
    }
    if (!rec.controller.signal.aborted) {
      rec.log.info({ code: reason.code }, 'aborting job');
      rec.controller.abort(reason);
    }
  }

  private settle(rec: JobRecord, err: unknown, result: unknown): void {
    if (isTerminal(rec.state.phase)) return;
    this.running.delete(rec);
    this.reservedBytes -= rec.state.memoryBytes;
    rec.watchdog?.stop();
    if (err === undefined && !rec.controller.signal.aborted) {
      this.finish(rec, 'Done', undefined, result);
    } else {
      // The abort reason (STALLED, ABORTED, UNAVAILABLE) explains the failure better than whatever the
      // interrupted step threw.
      const reason: unknown = rec.controller.signal.aborted ? rec.controller.signal.reason : err;
      const e = toSnapstreamError(reason);
      if (e.code === ErrorCode.STALLED) this.opts.hooks?.stalled?.(rec.state.kind);
      this.finish(rec, failedPhaseOf(e), toJobError(e), undefined);
    }
    this.drainQueue();
  }

  private finish(rec: JobRecord, phase: JobPhase, error: JobError | undefined, result: unknown): void {
    rec.state.phase = phase;
    rec.state.finishedAt = new Date(this.now());
    if (error) rec.state.error = error;
    if (result !== undefined) rec.state.result = result;
    if (phase === 'Done') rec.state.progress = { ...rec.state.progress, stage: 'done', etaSeconds: 0 };
    const seconds = rec.state.startedAt ? (rec.state.finishedAt.getTime() - rec.state.startedAt.getTime()) / 1000 : 0;
    this.opts.hooks?.finished?.(rec.state.kind, phase, error?.code, seconds);
    if (phase === 'Done') rec.log.info({ seconds, bytes: rec.state.progress.bytes }, 'job done');
    else rec.log.warn({ phase, code: error?.code, err: error?.message, seconds }, 'job failed');
    this.publishGauges();
    emitState(rec);
    rec.listeners.clear();
    rec.resolveDone();
  }

  private drainQueue(): void {
    while (this.accepting && this.queue.length > 0) {
      const head = this.queue[0]!;
      if (!fitsNow(this.admissionState(), head.state.memoryBytes)) break;
      this.queue.shift();
      this.start(head);
    }
    this.publishGauges();
  }

  private publishGauges(): void {
    this.opts.hooks?.gauges?.({ running: this.running.size, queued: this.queue.length, reservedBytes: this.reservedBytes });
  }
}
