import { ErrorCode, SnapstreamError } from '../errors.js';
import { StallWatchdog } from '../util/stall-watchdog.js';

export type Phase = 'init' | 'transfer' | 'commit' | 'done';

export interface Progress {
  phase: Phase;
  /** Bytes moved so far (read from zfs send, or written to zfs recv). */
  bytes: number;
  estimatedBytes?: number;
  /** Part being filled (backup) or written (restore). */
  part: number;
  /** Average rate since the transfer started. */
  bytesPerSec: number;
  /** Seconds left, when an estimate exists. */
  etaSeconds?: number;
  /** Times the pipeline waited for a free buffer (a slow store holding back zfs send). */
  backpressureWaits: number;
  partsRetried: number;
}

export interface MeterOptions {
  onProgress?: (p: Progress) => void;
  /** Minimum time between onProgress calls. */
  intervalMs?: number;
  /** Abort with STALLED when no byte moved for this long (0 = never). */
  stallTimeoutMs?: number;
  /** Aborted with the STALLED error. */
  controller: AbortController;
}

/** Counts bytes, reports progress at most every interval, and aborts a transfer that stalls. */
export class ProgressMeter {
  bytes = 0;
  part = 0;
  backpressureWaits = 0;
  partsRetried = 0;
  phase: Phase = 'init';
  estimatedBytes: number | undefined;
  private started = Date.now();
  private lastEmit = 0;
  private readonly watchdog: StallWatchdog;

  constructor(private readonly opts: MeterOptions) {
    this.watchdog = new StallWatchdog({
      timeoutMs: opts.stallTimeoutMs ?? 0,
      onStall: (idle) =>
        opts.controller.abort(
          new SnapstreamError(ErrorCode.STALLED, `no progress for ${Math.round(idle / 1000)} s (phase ${this.phase}, ${this.bytes} bytes moved); the store or zfs is not responding`, { retryable: true }),
        ),
    });
  }

  setPhase(phase: Phase): void {
    this.phase = phase;
    if (phase === 'transfer') this.started = Date.now();
    this.watchdog.touch();
    this.emit(true);
  }

  add(n: number): void {
    this.bytes += n;
    this.watchdog.touch();
    this.emit(false);
  }

  /** Marks liveness without bytes (e.g. a part finished uploading). */
  touch(): void {
    this.watchdog.touch();
  }

  snapshot(): Progress {
    const secs = Math.max(0.001, (Date.now() - this.started) / 1000);
    const rate = this.phase === 'init' ? 0 : this.bytes / secs;
    const est = this.estimatedBytes;
    return {
      phase: this.phase,
      bytes: this.bytes,
      estimatedBytes: est,
      part: this.part,
      bytesPerSec: Math.round(rate),
      etaSeconds: est !== undefined && rate > 0 ? Math.max(0, Math.round((est - this.bytes) / rate)) : undefined,
      backpressureWaits: this.backpressureWaits,
      partsRetried: this.partsRetried,
    };
  }

  emit(force: boolean): void {
    if (!this.opts.onProgress) return;
    const now = Date.now();
    if (!force && now - this.lastEmit < (this.opts.intervalMs ?? 500)) return;
    this.lastEmit = now;
    this.opts.onProgress(this.snapshot());
  }

  stop(): void {
    this.watchdog.stop();
  }
}
