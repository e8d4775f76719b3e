/**
 * What one GC run deletes and marks. Pure: the I/O is in gc.ts.
 *
 * Safety rule (with gc-guard.ts on the backup side): a segment is deleted only when it was present and
 * unreferenced at the previous mark, that mark is at least its grace old, it is still unreferenced now,
 * and it was not written again since the mark (a backup that started after the mark re-uploads
 * candidates instead of reusing them). A backup that reuses a segment it found present was started
 * before the next mark could list that segment as a candidate, and commits within the grace, so it is
 * committed, hence referenced, before any sweep may act on that mark.
 */
export interface SweepInput {
  mark?: { at: Date; graceMs: number; candidates: string[] };
  now: Date;
  /** Every id referenced by a committed manifest (recipe chunks and segments). */
  referenced: Set<string>;
  /** Every segment present, with its last-modified time where the store reports one. */
  present: Map<string, Date | undefined>;
}

export interface SweepPlan {
  /** Whether the previous mark was old enough to act on. */
  swept: boolean;
  deletes: string[];
  /** Candidates of the previous mark kept, and why. */
  keptReferenced: number;
  keptRewritten: number;
  /** The next mark's candidates: present and unreferenced now, not deleted by this run. */
  candidates: string[];
}

export function planSweep(i: SweepInput): SweepPlan {
  const swept = i.mark !== undefined && i.now.getTime() - i.mark.at.getTime() >= i.mark.graceMs;
  const deletes: string[] = [];
  let keptReferenced = 0;
  let keptRewritten = 0;
  if (swept) {
    for (const id of i.mark!.candidates) {
      if (!i.present.has(id)) continue;
      if (i.referenced.has(id)) {
        keptReferenced++;
        continue;
      }
      const lm = i.present.get(id);
      // Unknown or newer than the mark: written again since (or cannot tell): keep.
      if (lm === undefined || lm.getTime() > i.mark!.at.getTime()) {
        keptRewritten++;
        continue;
      }
      deletes.push(id);
    }
  }
  const gone = new Set(deletes);
  const candidates = [...i.present.keys()].filter((id) => !i.referenced.has(id) && !gone.has(id)).sort();
  return { swept, deletes: deletes.sort(), keptReferenced, keptRewritten, candidates };
}
