import type { Logger } from 'pino';
import type { AgentConfig } from '../agent/agent-config.js';
import type { Zfs } from '../zfs/zfs.js';
import { agentRoots, runRecovery } from './run-recovery.js';

/** Bounded: a hung zfs must not keep the agent from serving. */
const START_RECOVERY_TIMEOUT_MS = 120_000;

/**
 * The start-up recovery pass over the allowed pools (ZFS side only: the agent learns locations from
 * requests). A crash of the previous agent process mid-swap or mid-restore is repaired here before
 * any job runs. Never fatal: a failure is logged and the agent starts anyway.
 */
export async function recoverAtStart(config: AgentConfig, zfs: Zfs, log: Logger): Promise<void> {
  const signal = AbortSignal.timeout(START_RECOVERY_TIMEOUT_MS);
  try {
    const roots = await agentRoots(zfs, config.allowedPools, config.allowAnyPool, signal);
    const report = await runRecovery({ zfs, roots, graceSeconds: config.recoveryGraceSeconds, signal, log });
    log.info({ recovery: { summary: report.summary, datasets: report.datasets } }, 'start-up recovery pass');
  } catch (e) {
    log.warn({ err: (e as Error).message }, 'start-up recovery pass failed; the agent starts anyway');
  }
}
