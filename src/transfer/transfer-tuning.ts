/**
 * Knobs of the backup pipeline that are not part of a request: set by environment variables for
 * benchmarks and tests, read once at the edge (CLI, agent start, native-bench) with
 * transferTuningFrom(process.env) and handed to runBackup in its deps. Nothing under transfer/ reads
 * the environment itself.
 */
export interface TransferTuning {
  /** How zfs send's output reaches us: a socket pair (default; see SocketPipe) or a plain pipe. */
  sendPipe: 'socket' | 'pipe';
  /** A fixed interval (ms) between progress-record writes instead of the adaptive one. */
  progressRecordMs?: number;
}

export const DEFAULT_TUNING: TransferTuning = { sendPipe: 'socket' };

/** SNAPSTREAM_SEND_PIPE=pipe, SNAPSTREAM_PROGRESS_RECORD_MS=<ms>; anything else keeps the default. */
export function transferTuningFrom(env: Readonly<Record<string, string | undefined>>): TransferTuning {
  const ms = env.SNAPSTREAM_PROGRESS_RECORD_MS;
  const n = ms ? Number(ms) : NaN;
  return {
    sendPipe: env.SNAPSTREAM_SEND_PIPE === 'pipe' ? 'pipe' : 'socket',
    ...(Number.isFinite(n) && n >= 0 ? { progressRecordMs: n } : {}),
  };
}
