import { describe, expect, it } from 'vitest';
import { type MarkedDataset, planRecovery } from '../../../src/plan/recovery-plan.js';
import { classifyName } from '../../../src/model/restore-markers.js';
import type { DatasetName } from '../../../src/zfs/names.js';

const T = 'tank/vol' as DatasetName;
const S = 'tank/vol-snapstream-restore-0a1b2c3d' as DatasetName;
const O = 'tank/vol-snapstream-old-deadbeef' as DatasetName;
const NOW = 1_000_000;

function ds(name: string, props: Record<string, string>, creation = NOW - 10): MarkedDataset {
  return { name: name as DatasetName, props, creation };
}

function plan(marked: MarkedDataset[], existing: string[], opts: { live?: string[]; grace?: number } = {}) {
  return planRecovery({ marked, existing: new Set(existing), live: new Set(opts.live ?? []), nowSeconds: NOW, graceSeconds: opts.grace ?? 3600 });
}

const staging = (complete: boolean, age = 7200) => ds(S, { 'io.snapstream:restore': 'r1', ...(complete ? { 'io.snapstream:restore-state': 'complete' } : {}) }, NOW - age);
const old = ds(O, { 'io.snapstream:swap-old': T });

describe('planRecovery: a swap interrupted at every step ends with one complete dataset named T', () => {
  it('a staging copy younger than the grace is kept while T exists (a forced restore of another process may be receiving it)', () => {
    expect(plan([staging(false, 10)], [T, S]).map((x) => x.op)).toEqual(['keep']);
    // T missing: a complete copy is moved in whatever its age.
    expect(plan([staging(true, 10), old], [S, O]).map((x) => x.op)).toEqual(['rename', 'clear', 'destroy']);
  });

  it('staging received, swap not started: destroy the staging copy after the grace, T unchanged', () => {
    expect(plan([staging(false)], [T, S])).toEqual([{ op: 'destroy', dataset: S, reason: expect.any(String) }]);
    expect(plan([staging(true)], [T, S])).toEqual([{ op: 'destroy', dataset: S, reason: expect.any(String) }]);
  });

  it('T marked swap-old, not renamed yet: clear the mark on T, destroy the staging copy', () => {
    const a = plan([staging(true), ds(T, { 'io.snapstream:swap-old': T })], [T, S]);
    expect(a.map((x) => [x.op, x.dataset])).toEqual([['destroy', S], ['clear', T]]);
  });

  it('T parked as old, complete staging present, T missing: finish the swap, then destroy old', () => {
    const a = plan([staging(true), old], [S, O]);
    expect(a.map((x) => [x.op, x.dataset, 'to' in x ? x.to : undefined])).toEqual([
      ['rename', S, T],
      ['clear', T, undefined],
      ['destroy', O, undefined],
    ]);
  });

  it('T parked as old, no complete staging: move old back to T (never a name left empty)', () => {
    const a = plan([staging(false), old], [S, O]);
    expect(a.map((x) => [x.op, x.dataset, 'to' in x ? x.to : undefined])).toEqual([
      ['rename', O, T],
      ['clear', T, undefined],
      ['destroy', S, undefined],
    ]);
    expect(plan([old], [O]).map((x) => x.op)).toEqual(['rename', 'clear']);
  });

  it('staged copy renamed in (T carries the restore marks), old still there: destroy old, clear marks on T', () => {
    const a = plan([ds(T, { 'io.snapstream:restore': 'r1', 'io.snapstream:restore-state': 'complete' }), old], [T, O]);
    expect(a.map((x) => [x.op, x.dataset])).toEqual([['destroy', O], ['clear', T]]);
  });

  it('anything a running job uses is kept', () => {
    expect(plan([staging(true), old], [S, O], { live: [T] }).map((x) => x.op)).toEqual(['keep', 'keep']);
    expect(plan([ds(T, { 'io.snapstream:restore': 'r1' })], [T], { live: [T] }).map((x) => x.op)).toEqual(['keep']);
  });
});

describe('planRecovery: half-received restores and what is not ours', () => {
  it('a half-received target is kept within the grace period (a retry continues it) and destroyed after', () => {
    expect(plan([ds(T, { 'io.snapstream:restore': 'r1' }, NOW - 100)], [T])[0]!.op).toBe('keep');
    expect(plan([ds(T, { 'io.snapstream:restore': 'r1' }, NOW - 4000)], [T])[0]!.op).toBe('destroy');
  });

  it('a finished restore whose marks were not cleared: clear them, never destroy', () => {
    const a = plan([ds(T, { 'io.snapstream:restore': 'r1', 'io.snapstream:restore-state': 'complete' }, NOW - 99999)], [T]);
    expect(a).toEqual([{ op: 'clear', dataset: T, properties: ['io.snapstream:restore', 'io.snapstream:restore-state'], reason: expect.any(String) }]);
  });

  it('pattern names without the matching marker are never named', () => {
    // Staging-like name without the restore marker; old-like name whose swap-old names another dataset.
    const a = plan([ds(S, { 'io.snapstream:swap-old': T }), ds(O, { 'io.snapstream:swap-old': 'tank/other' })], [S, O]);
    expect(a).toEqual([]);
  });

  it('classifyName needs the exact suffix', () => {
    expect(classifyName(S)).toEqual({ kind: 'staging', target: T });
    expect(classifyName(O)).toEqual({ kind: 'old', target: T });
    expect(classifyName('tank/vol-snapstream-restore-0A1B2C3D' as DatasetName)).toEqual({ kind: 'plain' });
    expect(classifyName('tank/vol-snapstream-restore-0a1b2c3d9' as DatasetName)).toEqual({ kind: 'plain' });
    expect(classifyName('tank/-snapstream-old-deadbeef' as DatasetName)).toEqual({ kind: 'plain' });
  });
});
