import { describe, expect, it } from 'vitest';
import { chainRetirementReason, planSnapshotDelete } from '../../../src/velero/snapshot-delete-plan.js';
import { scheduleOf } from '../../../src/velero/volume-snapshotter.js';
import { m } from '../plan/fixtures.js';

const b = (h: number) => `s-202612010${h}0000`;
const at = (h: number) => `2026-12-01T0${h}:00:01.000Z`;
// s-1 full <- s-2 <- s-3; s-4 full (a new chain).
const chain = [
  m(b(1), { schedule: 's', finishedAt: at(1) }),
  m(b(2), { schedule: 's', prev: b(1), finishedAt: at(2) }),
  m(b(3), { schedule: 's', prev: b(2), finishedAt: at(3) }),
  m(b(4), { schedule: 's', finishedAt: at(4) }),
];
const names = (ms: { backup: string }[]) => ms.map((x) => x.backup);

describe('planSnapshotDelete: never breaks a chain a live backup needs', () => {
  it('defers a base that live incrementals need', () => {
    const p = planSnapshotDelete({ manifests: chain, backup: b(1), volume: 'pvc-1', deferred: new Set() });
    expect(p.deferred).toBe(true);
    expect(p.neededBy.sort()).toEqual([b(2), b(3)]);
    expect(p.delete).toEqual([]);
  });

  it('deletes the chain, dependents first, once its last live member goes', () => {
    const p2 = planSnapshotDelete({ manifests: chain, backup: b(2), volume: 'pvc-1', deferred: new Set([b(1)]) });
    expect(p2.deferred).toBe(true);
    const p3 = planSnapshotDelete({ manifests: chain, backup: b(3), volume: 'pvc-1', deferred: new Set([b(1), b(2)]) });
    expect(p3.deferred).toBe(false);
    expect(names(p3.delete)).toEqual([b(3), b(2), b(1)]);
  });

  it('deletes a full backup nobody depends on at once, and leaves other volumes alone', () => {
    const other = m(b(4), { volume: 'pvc-2', schedule: 's', finishedAt: at(4), dataKey: `backups/${b(4)}/pvc-2-${b(4)}` });
    const p = planSnapshotDelete({ manifests: [...chain, other], backup: b(4), volume: 'pvc-1', deferred: new Set() });
    expect(names(p.delete)).toEqual([b(4)]);
    expect(p.delete[0]!.volume).toBe('pvc-1');
  });

  it('a new chain is started when the last backup would continue a chain holding a deferred deletion', () => {
    const three = chain.slice(0, 3);
    expect(chainRetirementReason(three, 's', 'pvc-1', new Set([b(1)]))).toMatch(/full: .*s-2026120101/);
    expect(chainRetirementReason(three, 's', 'pvc-1', new Set())).toBeUndefined();
    expect(chainRetirementReason(chain, 's', 'pvc-1', new Set([b(1)]))).toBeUndefined();
  });

  it('scheduleOf follows the Go plugin: name minus a valid -YYYYMMDDhhmmss', () => {
    expect(scheduleOf('nightly-20261201010000')).toBe('nightly');
    expect(scheduleOf('a-b-20261201010000')).toBe('a-b');
    expect(scheduleOf('adhoc-backup')).toBe('');
    expect(scheduleOf('x-20261301010000')).toBe('');
    expect(scheduleOf('-20261201010000')).toBe('');
  });
});
