import type { Progress } from '../transfer/progress.js';
import type { AgentMetrics } from './agent-metrics.js';
import type { JobContext, JobKind } from './jobs/job-types.js';

/**
 * Forwards the core's progress to the job (for WatchJob) and turns its cumulative retry and
 * backpressure counts into metric increments.
 */
export function progressRelay(ctx: JobContext, kind: JobKind, metrics: AgentMetrics): (p: Progress) => void {
  let retried = 0;
  let waits = 0;
  return (p) => {
    if (p.partsRetried > retried) metrics.partsRetried.inc({ kind }, p.partsRetried - retried);
    if (p.backpressureWaits > waits) metrics.backpressureWaits.inc({ kind }, p.backpressureWaits - waits);
    retried = Math.max(retried, p.partsRetried);
    waits = Math.max(waits, p.backpressureWaits);
    ctx.progress({
      stage: p.phase,
      bytes: p.bytes,
      part: p.part,
      bytesPerSec: p.bytesPerSec,
      ...(p.estimatedBytes !== undefined ? { estimatedBytes: p.estimatedBytes } : {}),
      ...(p.etaSeconds !== undefined ? { etaSeconds: p.etaSeconds } : {}),
    });
  };
}
