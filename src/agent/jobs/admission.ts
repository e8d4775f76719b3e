/**
 * Pure admission decision for a new job. Kept apart from the manager so the limits can be tested
 * exhaustively without timers or jobs.
 *
 * FIFO: a job may start only when nothing is queued ahead of it, so a large job waiting for memory
 * is not starved by a stream of small ones.
 */
export interface AdmissionState {
  running: number;
  maxConcurrent: number;
  reservedBytes: number;
  budgetBytes: number;
  queued: number;
  maxQueued: number;
}

export type Admission =
  | { action: 'start' }
  | { action: 'queue' }
  | { action: 'refuse'; reason: 'never-fits' | 'queue-full' };

export function decideAdmission(s: AdmissionState, needBytes: number): Admission {
  if (needBytes > s.budgetBytes) return { action: 'refuse', reason: 'never-fits' };
  if (s.queued === 0 && fitsNow(s, needBytes)) return { action: 'start' };
  if (s.queued < s.maxQueued) return { action: 'queue' };
  return { action: 'refuse', reason: 'queue-full' };
}

/** Whether a job needing `needBytes` may start given what runs now (ignores the queue). */
export function fitsNow(s: Pick<AdmissionState, 'running' | 'maxConcurrent' | 'reservedBytes' | 'budgetBytes'>, needBytes: number): boolean {
  return s.running < s.maxConcurrent && s.reservedBytes + needBytes <= s.budgetBytes;
}
