/**
 * Fires once when nothing moved for `timeoutMs`: the one stall rule for transfers (ProgressMeter)
 * and for agent jobs without a pipeline of their own (JobManager). A transfer is touched on every
 * byte and every finished part, so a slow but moving one never trips it; one that hangs (a store that
 * stopped answering, a zfs that never writes) is aborted instead of holding its memory forever.
 */
export interface StallWatchdogOptions {
  /** 0 (or less) = never fires. */
  timeoutMs: number;
  /** Called once, with how long nothing moved; the watchdog is stopped by then. */
  onStall(idleMs: number): void;
  /** Test seam. */
  now?: () => number;
}

export class StallWatchdog {
  private last: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: StallWatchdogOptions) {
    this.now = opts.now ?? Date.now;
    this.last = this.now();
    if (opts.timeoutMs > 0) {
      // A quarter of the timeout (50 ms..1 s): a stall is noticed within 25% of its timeout.
      this.timer = setInterval(() => this.check(), Math.max(50, Math.min(1000, opts.timeoutMs / 4)));
      this.timer.unref();
    }
  }

  /** Something moved. */
  touch(): void {
    this.last = this.now();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    const idle = this.now() - this.last;
    if (idle < this.opts.timeoutMs) return;
    this.stop();
    this.opts.onStall(idle);
  }
}
