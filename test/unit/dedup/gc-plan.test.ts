import { describe, expect, it } from 'vitest';
import { planSweep } from '../../../src/dedup/gc-plan.js';

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
