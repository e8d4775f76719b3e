import type { Logger } from 'pino';
import type { LocationConfig } from '../location/location-config.js';
import type { ObjectStore } from '../store/object-store.js';
import type { Zfs } from '../zfs/zfs.js';
import type { Keyring } from '../keys/keyring.js';
import type { TransferTuning } from '../transfer/transfer-tuning.js';
import type { TransferOptions__Output } from '../wire/generated/snapstream/v1/TransferOptions.js';
import type { AgentConfig } from './agent-config.js';
import type { AgentMetrics } from './agent-metrics.js';
import type { JobManager } from './jobs/job-manager.js';

/** Everything an RPC handler needs; built once by startAgent. */
export interface AgentContext {
  config: AgentConfig;
  zfs: Zfs;
  jobs: JobManager;
  metrics: AgentMetrics;
  log: Logger;
  openStore(cfg: LocationConfig): Promise<ObjectStore>;
  /** Keys from the agent's config (keys.*), loaded at start; undefined = none configured. */
  keys?: Keyring;
  /** Pipeline knobs read from the environment at start (transferTuningFrom). */
  tuning?: TransferTuning;
}

/** Proto TransferOptions as decoded (longs as numbers; generated from agent.proto). Partial: callers outside gRPC give only what they set. */
export type TransferMsg = Partial<TransferOptions__Output>;

export interface ResolvedTransfer {
  partSize?: number;
  concurrency: number;
  rateLimitBytesPerSec?: number;
  stallTimeoutMs: number;
}

/** Request options over location options over agent defaults. */
export function resolveTransfer(t: TransferMsg | null | undefined, locationPartSize: number | undefined, cfg: AgentConfig): ResolvedTransfer {
  const partSize = (t?.partSizeBytes || undefined) ?? locationPartSize ?? (cfg.defaultPartSizeBytes || undefined);
  const out: ResolvedTransfer = {
    concurrency: Math.min(64, t?.concurrency || cfg.defaultConcurrency),
    stallTimeoutMs: (t?.stallTimeoutSeconds || cfg.stallTimeoutSeconds) * 1000,
  };
  if (partSize !== undefined) out.partSize = Number(partSize);
  if (t?.rateLimitBytesPerSec) out.rateLimitBytesPerSec = Number(t.rateLimitBytesPerSec);
  return out;
}
