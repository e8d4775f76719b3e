import { describe, expect, it } from 'vitest';
import { planCleanup, planOrphanCleanup, type CleanupInput } from '../../../src/plan/cleanup-plan.js';

const CUR = 's-20260102000000';
const PREV = 's-20260101000000';

describe('planCleanup', () => {
  const base: CleanupInput = { scheduled: true, succeeded: true, disableIncrementalBackups: false, snapName: CUR, previousBase: PREV };
  const cases: { name: string; over: Partial<CleanupInput>; destroy: string[]; nextBase: string }[] = [
    { name: 'incremental success: destroy previous, keep current', over: {}, destroy: [PREV], nextBase: CUR },
    { name: 'incremental success, first backup: nothing to destroy', over: { previousBase: '' }, destroy: [], nextBase: CUR },
    { name: 'full success: destroy current (no leak)', over: { disableIncrementalBackups: true, previousBase: '' }, destroy: [CUR], nextBase: '' },
    {
      name: 'full success after incremental runs: destroy current and the old base',
      over: { disableIncrementalBackups: true },
      destroy: [CUR, PREV],
      nextBase: '',
    },
    { name: 'scheduled failure: destroy own snapshot, keep the base', over: { succeeded: false }, destroy: [CUR], nextBase: PREV },
    { name: 'scheduled failure in full mode', over: { succeeded: false, disableIncrementalBackups: true, previousBase: '' }, destroy: [CUR], nextBase: '' },
    { name: 'ad-hoc success: destroy current', over: { scheduled: false, previousBase: '' }, destroy: [CUR], nextBase: '' },
    { name: 'ad-hoc failure: destroy current', over: { scheduled: false, succeeded: false, previousBase: '' }, destroy: [CUR], nextBase: '' },
    {
      name: 'failure never destroys the base even when names collide',
      over: { succeeded: false, snapName: PREV },
      destroy: [],
      nextBase: PREV,
    },
    { name: 'success with previous == current destroys nothing', over: { previousBase: CUR }, destroy: [], nextBase: CUR },
    {
      name: 'only snapshots still on the pool are returned (idempotent after restart)',
      over: { disableIncrementalBackups: true, poolSnapshots: [PREV, 'unrelated'] },
      destroy: [PREV],
      nextBase: '',
    },
    { name: 'pool listing without the previous base', over: { poolSnapshots: [CUR] }, destroy: [], nextBase: CUR },
  ];
  it.each(cases)('$name', ({ over, destroy, nextBase }) => {
    const plan = planCleanup({ ...base, ...over });
    expect(plan).toEqual({ destroy, nextBase });
    expect(plan.destroy).not.toContain(plan.nextBase);
  });

  it('over every combination, the next base is never destroyed and a full success keeps nothing', () => {
    for (const scheduled of [true, false]) {
      for (const succeeded of [true, false]) {
        for (const disableIncrementalBackups of [true, false]) {
          for (const previousBase of ['', PREV, CUR]) {
            const plan = planCleanup({ scheduled, succeeded, disableIncrementalBackups, snapName: CUR, previousBase });
            if (plan.nextBase !== '') expect(plan.destroy).not.toContain(plan.nextBase);
            if (scheduled && succeeded && disableIncrementalBackups) expect(plan.nextBase).toBe('');
            if (scheduled && succeeded && !disableIncrementalBackups) expect(plan.nextBase).toBe(CUR);
            if (!succeeded) expect(plan.nextBase).toBe(previousBase);
          }
        }
      }
    }
  });
});

describe('planOrphanCleanup', () => {
  it.each([
    {
      name: 'leftovers of this schedule only',
      pool: ['s-20260101000000', 's-20260102000000', 's-20260103000000', 'manual', 's-b-20260101000000', 'other-20260101000000'],
      nextBase: 's-20260102000000',
      inProgress: ['s-20260103000000'],
      want: ['s-20260101000000'],
    },
    { name: 'nothing left over', pool: ['s-20260102000000'], nextBase: 's-20260102000000', inProgress: [], want: [] },
    { name: 'full mode: no base kept', pool: ['s-20260101000000', 's-20260102000000'], nextBase: '', inProgress: [], want: ['s-20260101000000', 's-20260102000000'] },
  ])('$name', ({ pool, nextBase, inProgress, want }) => {
    expect(planOrphanCleanup({ schedule: 's', poolSnapshots: pool, nextBase, inProgress })).toEqual(want);
  });
});
