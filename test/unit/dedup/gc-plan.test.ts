import { describe, expect, it } from 'vitest';
import { planSweep } from '../../../src/dedup/gc-plan.js';
import { shouldCut, SEGMENT_MAX_BYTES, SEGMENT_MIN_BYTES } from '../../../src/dedup/segment-cut.js';

const id = (c: string) => c.repeat(64);
const T0 = new Date('2026-12-01T00:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

describe('GC sweep plan', () => {
  const mark = { at: T0, graceMs: 60_000, candidates: [id('a'), id('b'), id('c'), id('d'), id('e')] };
  const present = new Map<string, Date | undefined>([
    [id('a'), at(-10)], // unreferenced since before the mark: deleted
    [id('b'), at(-10)], // referenced again now (a backup reused it): kept
    [id('c'), at(+5)], // written again after the mark (a backup re-uploaded a candidate): kept
    [id('d'), undefined], // no last-modified: kept (cannot tell)
    // e: already gone
    [id('f'), at(30)], // new and unreferenced: the next mark's candidate, not deleted
  ]);
  it('deletes only candidates unreferenced at the mark and now, not rewritten since, once the mark is a grace old', () => {
    const p = planSweep({ mark, now: at(61), referenced: new Set([id('b')]), present });
    expect(p).toEqual({ swept: true, deletes: [id('a')], keptReferenced: 1, keptRewritten: 2, candidates: [id('c'), id('d'), id('f')] });
  });
  it('deletes nothing before the grace has passed, or without a mark', () => {
    expect(planSweep({ mark, now: at(59), referenced: new Set(), present })).toMatchObject({ swept: false, deletes: [] });
    expect(planSweep({ now: at(59), referenced: new Set(), present })).toMatchObject({ swept: false, deletes: [], candidates: [id('a'), id('b'), id('c'), id('d'), id('f')] });
  });
});

describe('segment cut points', () => {
  const MiB = 1024 * 1024;
  const w = (object: number, offset: number) => ({ type: 3, object, offset, payloadBytes: 128 * 1024 });
  it('cut at 1 MiB boundaries of an object, at MAX, and at object changes past MIN', () => {
    expect(shouldCut({ bytes: 0, lastObject: -1 }, w(5, 0))).toBe(false);
    expect(shouldCut({ bytes: 3 * MiB, lastObject: 5 }, w(5, 3 * MiB + 128 * 1024))).toBe(false);
    expect(shouldCut({ bytes: 3 * MiB, lastObject: 5 }, w(5, 4 * MiB))).toBe(true);
    expect(shouldCut({ bytes: SEGMENT_MAX_BYTES - 1000, lastObject: 5 }, w(5, 1000))).toBe(true);
    expect(shouldCut({ bytes: SEGMENT_MIN_BYTES, lastObject: 5 }, w(6, 0))).toBe(true);
  });
  it('does not depend on bytes before the open segment: the same block starts the same segment in every send', () => {
    for (const before of [10_000, 900_000, 1_500_000]) expect(shouldCut({ bytes: before, lastObject: 9 }, w(9, 6 * MiB))).toBe(true);
  });
});
