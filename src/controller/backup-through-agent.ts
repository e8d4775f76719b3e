import { ErrorCode, SnapstreamError, isSnapstreamError } from '../errors.js';
import type { AgentBackupRequest, AgentClient, JobOutcome, StartedJob } from './agent-client.js';

/**
 * Takes the backup's snapshot (one already there is fine: a retry after a crash), hands the
 * request to the agent, which plans and runs the transfer (src/plan/backup-run-plan.ts), and follows
 * the job to its end. A job that did not end Done rejects with the agent's code and retryable flag.
 * The controller's scheduled backups and the Velero plugin's ad-hoc ones both go through here.
 */
export async function backupThroughAgent(
  agent: AgentClient,
  req: AgentBackupRequest,
  opts: { signal?: AbortSignal; createSnapshot: boolean; onStarted?: (s: StartedJob) => void },
): Promise<JobOutcome> {
  if (opts.createSnapshot) {
    try {
      await agent.createSnapshot(req.dataset, req.snapName, opts.signal);
    } catch (e) {
      if (!isSnapstreamError(e, ErrorCode.ALREADY_EXISTS)) throw e;
    }
  }
  const started = await agent.startBackup(req, opts.signal);
  opts.onStarted?.(started);
  const outcome = await agent.watchJob(started.jobId, opts.signal);
  if (outcome.phase !== 'done') {
    const err = outcome.error;
    throw new SnapstreamError((err?.code as ErrorCode) ?? ErrorCode.INTERNAL, err?.message ?? `backup job ${outcome.jobId} ended ${outcome.phase}`, {
      retryable: outcome.phase === 'failed' && (err?.retryable ?? false),
      details: { jobId: outcome.jobId },
    });
  }
  return outcome;
}
