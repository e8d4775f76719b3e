import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError } from '../errors.js';
import { sleep } from '../transfer/retry.js';
import { DEFAULT_GC_GRACE_MS, readMark, readSweep } from './gc-state.js';
import type { SegmentStore } from './segment-store.js';

/** Clock difference between the GC's host and this one that the commit check allows for. */
const CLOCK_SLACK_MS = 5 * 60_000;
/** How long a committing backup waits for a running sweep to finish. */
const SWEEP_WAIT_MS = 120_000;

/**
 * The backup's side of GC safety (see gc-plan.ts). At its start a backup reads the GC mark: segments
 * the mark lists as candidates are uploaded again rather than reused (a newer last-modified time keeps
 * them from that mark's sweep). Before committing, it checks that it is still within the grace, and if
 * a sweep started since it began, waits for it and confirms every segment it references still exists.
 */
export class GcGuard {
  private constructor(
    private readonly segs: SegmentStore,
    private readonly candidates: Set<string>,
    readonly graceMs: number,
    readonly startedAt: number,
  ) {}

  static async open(segs: SegmentStore, signal?: AbortSignal): Promise<GcGuard> {
    const startedAt = Date.now();
    const mark = await readMark(segs.store, segs.layout, signal);
    return new GcGuard(segs, new Set(mark?.candidates ?? []), mark?.graceMs || DEFAULT_GC_GRACE_MS, startedAt);
  }

  /** A GC candidate must be written again, not reused. */
  mustRewrite(id: string): boolean {
    return this.candidates.has(id);
  }

  async beforeCommit(ids: Iterable<string>, log: Logger, signal?: AbortSignal): Promise<void> {
    const elapsed = Date.now() - this.startedAt;
    if (elapsed > this.graceMs * 0.9) {
      throw new SnapstreamError(
        ErrorCode.DEDUP_CONFLICT,
        `the deduplicated backup ran ${Math.round(elapsed / 1000)} s, longer than 90% of the GC grace (${Math.round(this.graceMs / 1000)} s): ` +
          'segments it reused may be collected, so it is not committed; raise the GC grace (snapstream gc --grace) or back up less at once',
        { retryable: true },
      );
    }
    let sweep = await readSweep(this.segs.store, this.segs.layout, signal);
    for (const until = Date.now() + SWEEP_WAIT_MS; sweep && !sweep.finishedAt && Date.now() - sweep.startedAt.getTime() < this.graceMs; ) {
      if (Date.now() > until) throw new SnapstreamError(ErrorCode.DEDUP_CONFLICT, 'a GC sweep is running and did not finish within 120 s; the backup is not committed', { retryable: true });
      log.info('a GC sweep is running; waiting for it before committing');
      await sleep(1000, signal);
      sweep = await readSweep(this.segs.store, this.segs.layout, signal);
    }
    if (!sweep || sweep.startedAt.getTime() < this.startedAt - CLOCK_SLACK_MS) return;
    const all = [...new Set(ids)];
    log.info({ segments: all.length }, 'a GC sweep ran during this backup; checking that every referenced segment still exists');
    const missing: string[] = [];
    const queue = [...all];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) if (!(await this.segs.head(id, signal))) missing.push(id);
      }),
    );
    if (missing.length > 0) {
      throw new SnapstreamError(ErrorCode.DEDUP_CONFLICT, `a GC sweep removed ${missing.length} segment(s) this backup references (${missing[0]}...); it is not committed, retry it`, {
        retryable: true,
        details: { missing: missing.length },
      });
    }
  }
}
