import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { StallWatchdog } from '../../util/stall-watchdog.js';
import type { JobSpec, JobState } from './job-types.js';

export type JobListener = (state: JobState) => void;

/** A job as the manager holds it: its state, what it runs, and who listens. */
export interface JobRecord {
  state: JobState;
  spec: JobSpec;
  fingerprint: string;
  controller: AbortController;
  listeners: Set<JobListener>;
  watchdog?: StallWatchdog;
  done: Promise<void>;
  resolveDone: () => void;
  log: Logger;
}

export function newJobRecord(spec: JobSpec, now: number, log: Logger): JobRecord {
  const id = randomUUID();
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  return {
    state: {
      id,
      kind: spec.kind,
      key: spec.key,
      description: spec.description,
      phase: 'Pending',
      progress: { stage: 'init', bytes: 0, part: 0, bytesPerSec: 0 },
      createdAt: new Date(now),
      memoryBytes: spec.memoryBytes,
    },
    spec,
    fingerprint: spec.fingerprint,
    controller: new AbortController(),
    listeners: new Set(),
    done,
    resolveDone,
    log: log.child({ jobId: id, kind: spec.kind }),
  };
}

/** Tells every listener the job's current state; a listener that throws is logged, not fatal. */
export function emitState(rec: JobRecord): void {
  if (rec.listeners.size === 0) return;
  const s = copyState(rec.state);
  for (const l of rec.listeners) {
    try {
      l(s);
    } catch (e) {
      rec.log.warn({ err: (e as Error).message }, 'job listener threw');
    }
  }
}

/** A copy safe to hand out: handlers and listeners never see (or change) the live state. */
export function copyState(s: JobState): JobState {
  return { ...s, progress: { ...s.progress }, ...(s.error ? { error: { ...s.error, details: { ...s.error.details } } } : {}) };
}
