/** How a backup or restore moves bytes; the same options for the CLI, the agent and the controller. */
export interface TransferOptions {
  /** Initial part size in bytes (grows if the stream outgrows the part limit). */
  partSize?: number;
  /** Parts uploaded (backup) or downloaded (restore) at once. Default 4. */
  concurrency?: number;
  /** Average bytes/second cap; 0 or undefined = unlimited. */
  rateLimitBytesPerSec?: number;
  /** Fail with STALLED when nothing moved for this long; 0 = never. Default 5 min. */
  stallTimeoutMs?: number;
}

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_STALL_TIMEOUT_MS = 5 * 60_000;
