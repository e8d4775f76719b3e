import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError } from '../errors.js';
import { sleep } from '../store/decorators/with-retry.js';
import { DEFAULT_GC_GRACE_MS, readMark, readSweep } from './gc-state.js';
import { type SegmentStore, idOfSegmentKey, segmentsPrefix } from './segment-store.js';

/** Segment ids a backup lists at its start (about 100 bytes each in memory); more, and it asks HEAD per segment. */
const LIST_CAP = 1_000_000;

async function listPresent(segs: SegmentStore, signal?: AbortSignal): Promise<Set<string> | undefined> {
  const ids = new Set<string>();
  for await (const o of segs.store.list(segmentsPrefix(segs.layout), { signal })) {
    const id = idOfSegmentKey(segs.layout, o.key);
    if (!id) continue;
    if (ids.size >= LIST_CAP) return undefined;
    ids.add(id);
  }
  return ids;
}

/** Clock difference between the GC's host and this one that the commit check allows for. */
const CLOCK_SLACK_MS = 5 * 60_000;
/** How long a committing backup waits for a running sweep to finish. */
const SWEEP_WAIT_MS = 120_000;

/**
 * The backup's side of GC safety (see gc-plan.ts). At its start a backup lists the segments present
 * and reads the GC mark: it reuses only segments it saw then, and uploads again those the mark lists as
 * candidates (a newer last-modified time keeps them from that mark's sweep). Before committing, it checks that it is still within the grace, and if
 * a sweep started since it began, waits for it and confirms every segment it references still exists.
 */
export class GcGuard {
  private constructor(
    private readonly segs: SegmentStore,
    private readonly candidates: Set<string>,
    readonly graceMs: number,
    readonly startedAt: number,
    /** Segments listed at the start; undefined when there were more than LIST_CAP (then HEAD decides). */
    private readonly present: Set<string> | undefined,
  ) {}

  static async open(segs: SegmentStore, signal?: AbortSignal): Promise<GcGuard> {
    const startedAt = Date.now();
    const [mark, present] = await Promise.all([readMark(segs.store, segs.layout, signal), listPresent(segs, signal)]);
    return new GcGuard(segs, new Set(mark?.candidates ?? []), mark?.graceMs || DEFAULT_GC_GRACE_MS, startedAt, present);
  }

  /**
   * Whether a segment can be reused: it was present when the backup started (one LIST instead of a
   * HEAD per segment) and is not a GC candidate. A segment another backup uploaded since is written
   * again (the same bytes, harmless). Beyond LIST_CAP segments the listing stops and HEAD decides.
   */
  async canReuse(id: string, signal?: AbortSignal): Promise<boolean> {
    if (this.candidates.has(id)) return false;
    if (this.present) return this.present.has(id);
    return (await this.segs.head(id, signal)) !== undefined;
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
