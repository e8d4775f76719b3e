import type { Job } from '../wire/generated/snapstream/v1/Job.js';
import type { JobKind } from '../wire/generated/snapstream/v1/JobKind.js';
import type { Phase } from '../wire/generated/snapstream/v1/Phase.js';
import type { JobPhase, JobState } from './jobs/job-types.js';

const PHASES: Record<JobPhase, Phase & string> = {
  Pending: 'PHASE_PENDING',
  Init: 'PHASE_INIT',
  InProgress: 'PHASE_IN_PROGRESS',
  Done: 'PHASE_DONE',
  Failed: 'PHASE_FAILED',
  Invalid: 'PHASE_INVALID',
};

export function phaseToProto(p: JobPhase): Phase & string {
  return PHASES[p];
}

export function phaseFromProto(p: string): JobPhase | undefined {
  return (Object.keys(PHASES) as JobPhase[]).find((k) => PHASES[k] === p);
}

export function timestamp(d: Date | undefined): { seconds: number; nanos: number } | null {
  if (!d) return null;
  const ms = d.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

/** The wire form of a job (snapstream.v1.Job). */
export function jobToProto(s: JobState, node: string): Job {
  const p = s.progress;
  return {
    id: s.id,
    kind: `JOB_KIND_${s.kind.toUpperCase()}` as JobKind,
    phase: phaseToProto(s.phase),
    idempotencyKey: s.key,
    description: s.description,
    progress: {
      stage: p.stage,
      bytes: p.bytes,
      estimatedBytes: p.estimatedBytes ?? 0,
      part: p.part,
      bytesPerSec: p.bytesPerSec,
      etaSeconds: p.etaSeconds ?? -1,
    },
    error: s.error ?? null,
    created: timestamp(s.createdAt),
    started: timestamp(s.startedAt),
    finished: timestamp(s.finishedAt),
    node,
    // Results are stored already shaped as the oneof ({backup: ...} | {restore: ...} | {verify: ...}).
    ...((s.result as Pick<Job, 'backup' | 'restore' | 'verify'> | undefined) ?? {}),
  };
}
