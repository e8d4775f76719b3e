import type { Logger } from 'pino';

/**
 * What the job manager knows about a job. Phases mirror CStorBackup/CStorRestore status so the
 * operator can copy them into its CRs unchanged.
 */
export type JobKind = 'backup' | 'restore' | 'verify';
export type JobPhase = 'Pending' | 'Init' | 'InProgress' | 'Done' | 'Failed' | 'Invalid';

export const TERMINAL_PHASES: ReadonlySet<JobPhase> = new Set(['Done', 'Failed', 'Invalid']);

export function isTerminal(phase: JobPhase): boolean {
  return TERMINAL_PHASES.has(phase);
}

export interface JobProgress {
  /** The core's stage: init | transfer | commit | done. */
  stage: string;
  bytes: number;
  estimatedBytes?: number;
  part: number;
  bytesPerSec: number;
  /** Seconds left, when an estimate exists. */
  etaSeconds?: number;
}

export interface JobError {
  code: string;
  message: string;
  retryable: boolean;
  details: Record<string, string>;
}

/** An immutable snapshot of a job, safe to hand to RPC handlers and listeners. */
export interface JobState {
  id: string;
  kind: JobKind;
  key: string;
  description: string;
  phase: JobPhase;
  progress: JobProgress;
  error?: JobError;
  result?: unknown;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  /** Bytes of the memory budget the job holds while it runs. */
  memoryBytes: number;
}

export interface JobContext {
  /** Fires on CancelJob, stall, or shutdown; its reason is the SnapstreamError that explains which. */
  signal: AbortSignal;
  progress(p: JobProgress): void;
  log: Logger;
}

export interface JobSpec<R = unknown> {
  kind: JobKind;
  /** Idempotency key: a second submit with the same key joins this job. */
  key: string;
  /** Identity of the request; the same key with another fingerprint is a conflict. */
  fingerprint: string;
  description: string;
  /** Reserved from the node's memory budget while the job runs (the plan's bound, src/plan/memory-bound.ts). */
  memoryBytes: number;
  /**
   * Overrides the manager's stall timeout for this job. 0 for a job whose pipeline runs its own
   * watchdog (ProgressMeter, which also sees finished parts), so no job is watched twice.
   */
  stallTimeoutMs?: number;
  run(ctx: JobContext): Promise<R>;
}
