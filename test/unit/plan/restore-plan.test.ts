import { describe, expect, it } from 'vitest';
import { SnapstreamError } from '../../../src/errors.js';
import { planRestore } from '../../../src/plan/restore-plan.js';
import type { Manifest } from '../../../src/model/manifest.js';
import { m } from './fixtures.js';

const names = (ms: Manifest[]): string[] => ms.map((x) => x.backup);

function thrown(f: () => unknown): SnapstreamError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SnapstreamError);
    return e as SnapstreamError;
  }
  throw new Error('expected an error');
}

// A three-link chain of one schedule, plus look-alikes that must never be picked.
const full = m('s-20260101000000');
const inc1 = m('s-20260102000000', { prev: 's-20260101000000' });
const inc2 = m('s-20260103000000', { prev: 's-20260102000000' });
const otherVolume = m('s-20260102000000', { volume: 'pvc-2', dataset: 'tank/pvc-2' });
const otherDataset = m('x-1', { snapshot: 's-20260102000000', dataset: 'tank/elsewhere' });
const chain = [inc2, otherVolume, full, otherDataset, inc1];

describe('planRestore: success', () => {
  const cases: { name: string; manifests: Manifest[]; backup: string; volume?: string; all: boolean; want: string[] }[] = [
    { name: 'full backup, exact', manifests: chain, backup: full.backup, all: false, want: [full.backup] },
    { name: 'full backup, restoreAll is a chain of one', manifests: chain, backup: full.backup, all: true, want: [full.backup] },
    { name: 'chain base..target, oldest first', manifests: chain, backup: inc2.backup, all: true, want: [full.backup, inc1.backup, inc2.backup] },
    { name: 'middle of a chain stops at the target', manifests: chain, backup: inc1.backup, all: true, want: [full.backup, inc1.backup] },
    {
      name: 'other volume with the same backup name is a separate target',
      manifests: chain,
      backup: 's-20260102000000',
      volume: 'pvc-2',
      all: false,
      want: ['s-20260102000000'],
    },
    {
      name: 'previousBackup breaks a tie between same-snapshot, same-guid copies',
      manifests: [
        m('a', { snapshot: 'snap1' }),
        m('b', { snapshot: 'snap1' }),
        m('c', { prev: 'snap1', previousBackup: 'b' }),
      ],
      backup: 'c',
      all: true,
      want: ['b', 'c'],
    },
    {
      name: 'guid match wins over a same-named snapshot of a re-created dataset',
      manifests: [
        m('old', { snapshot: 'snap1', snapshotGuid: '111' }),
        m('new', { snapshot: 'snap1', snapshotGuid: '222' }),
        m('c', { prev: 'snap1', previousSnapshotGuid: '222', previousBackup: '' }),
      ],
      backup: 'c',
      all: true,
      want: ['new', 'c'],
    },
    {
      name: 'base with unknown guid is accepted when it is the only one',
      manifests: [m('a', { snapshotGuid: '' }), m('b', { prev: 'a' })],
      backup: 'b',
      all: true,
      want: ['a', 'b'],
    },
    {
      name: 'link without a guid on the incremental follows the name',
      manifests: [m('a'), m('b', { prev: 'a', previousSnapshotGuid: '' })],
      backup: 'b',
      all: true,
      want: ['a', 'b'],
    },
    {
      name: 'previousBackup pointing elsewhere does not block a unique name+guid match',
      manifests: [m('a'), m('b', { prev: 'a', previousBackup: 'renamed' })],
      backup: 'b',
      all: true,
      want: ['a', 'b'],
    },
    {
      name: 'input order does not matter',
      manifests: [inc1, inc2, full].reverse(),
      backup: inc2.backup,
      all: true,
      want: [full.backup, inc1.backup, inc2.backup],
    },
  ];
  it.each(cases)('$name', ({ manifests, backup, volume, all, want }) => {
    const got = planRestore(manifests, { backup, volume: volume ?? 'pvc-1' }, all);
    expect(names(got)).toEqual(want);
    expect(got.at(-1)!.volume).toBe(volume ?? 'pvc-1');
  });

  it('returns the manifest objects themselves, not copies', () => {
    const got = planRestore(chain, { backup: inc1.backup, volume: 'pvc-1' }, true);
    expect(got[0]).toBe(full);
    expect(got[1]).toBe(inc1);
  });
});

describe('planRestore: refusals', () => {
  const cases: {
    name: string;
    manifests: Manifest[];
    backup: string;
    volume?: string;
    all: boolean;
    code: string;
    reason?: string;
    message: string | RegExp;
    details?: Record<string, unknown>;
  }[] = [
    {
      name: 'empty backup name',
      manifests: chain,
      backup: '',
      all: true,
      code: 'INVALID_ARGUMENT',
      message: 'restore needs a backup name and a volume name',
    },
    {
      name: 'unknown backup',
      manifests: chain,
      backup: 'nope',
      all: true,
      code: 'NOT_FOUND',
      message: 'backup "nope" of volume "pvc-1" was not found (no manifest; an upload that never committed does not count)',
    },
    {
      name: 'backup exists only for another volume',
      manifests: chain,
      backup: inc2.backup,
      volume: 'pvc-2',
      all: false,
      code: 'NOT_FOUND',
      message: /^backup "s-20260103000000" of volume "pvc-2" was not found/,
    },
    {
      name: 'incremental without restoreAll',
      manifests: chain,
      backup: inc2.backup,
      all: false,
      code: 'INVALID_ARGUMENT',
      message:
        'backup "s-20260103000000" of volume "pvc-1" is incremental (it needs snapshot "s-20260102000000" from backup ' +
        '"s-20260102000000" first); set restoreAllIncrementalSnapshots=true to restore the whole chain from its full backup',
    },
    {
      name: 'missing middle link is refused up front',
      manifests: [full, inc2],
      backup: inc2.backup,
      all: true,
      code: 'BASE_MISSING',
      reason: 'missing',
      message:
        'cannot restore backup "s-20260103000000" of volume "pvc-1": backup "s-20260103000000" is incremental from snapshot ' +
        '"s-20260102000000", but no backup of volume "pvc-1" (dataset "tank/pvc-1") holds it (backup "s-20260102000000" is ' +
        'missing or expired); chain found so far: [missing s-20260102000000] -> s-20260103000000',
      details: { missingSnapshot: 's-20260102000000', missingBackup: 's-20260102000000', chain: ['s-20260103000000'] },
    },
    {
      name: 'missing full base is refused, naming the chain found',
      manifests: [inc1, inc2, otherVolume, otherDataset],
      backup: inc2.backup,
      all: true,
      code: 'BASE_MISSING',
      reason: 'missing',
      message: /chain found so far: \[missing s-20260101000000\] -> s-20260102000000 -> s-20260103000000$/,
      details: { missingSnapshot: 's-20260101000000', chain: ['s-20260102000000', 's-20260103000000'] },
    },
    {
      name: 'base only on another volume does not count',
      manifests: [m('a', { volume: 'pvc-2', dataset: 'tank/pvc-2' }), m('b', { prev: 'a' })],
      backup: 'b',
      all: true,
      code: 'BASE_MISSING',
      reason: 'missing',
      message: /no backup of volume "pvc-1" \(dataset "tank\/pvc-1"\) holds it/,
    },
    {
      name: 'base only of another dataset does not count',
      manifests: [m('a', { dataset: 'tank/other' }), m('b', { prev: 'a' })],
      backup: 'b',
      all: true,
      code: 'BASE_MISSING',
      reason: 'missing',
      message: /no backup of volume "pvc-1"/,
    },
    {
      name: 'same-named snapshot with a different guid is not the base',
      manifests: [m('a', { snapshotGuid: '999' }), m('b', { prev: 'a', previousSnapshotGuid: '123' })],
      backup: 'b',
      all: true,
      code: 'BASE_MISSING',
      reason: 'guid-mismatch',
      message:
        'cannot restore backup "b" of volume "pvc-1": backup "b" is incremental from snapshot "a", but backup(s) "a" (guid 999) ' +
        'hold a snapshot "a" but not the one with guid 123 that "b" was sent from; chain found so far: [missing a] -> b',
    },
    {
      name: 'two candidates, no guid and no previousBackup to choose: ambiguous',
      manifests: [
        m('x', { snapshot: 'snap1', snapshotGuid: '' }),
        m('y', { snapshot: 'snap1', snapshotGuid: '' }),
        m('c', { prev: 'snap1', previousSnapshotGuid: '', previousBackup: '' }),
      ],
      backup: 'c',
      all: true,
      code: 'BASE_MISSING',
      reason: 'ambiguous',
      message:
        'cannot restore backup "c" of volume "pvc-1": backup "c" is incremental from snapshot "snap1", but backups "x", "y" ' +
        'all hold snapshot "snap1" and none is named by "c"; chain found so far: c',
    },
    {
      name: 'two same-guid candidates, previousBackup names neither: ambiguous',
      manifests: [m('x', { snapshot: 'snap1' }), m('y', { snapshot: 'snap1' }), m('c', { prev: 'snap1', previousBackup: 'z' })],
      backup: 'c',
      all: true,
      code: 'BASE_MISSING',
      reason: 'ambiguous',
      message: /backups "x", "y" all hold snapshot "snap1"/,
    },
    {
      name: 'two-backup cycle',
      manifests: [m('a', { prev: 'b' }), m('b', { prev: 'a' })],
      backup: 'a',
      all: true,
      code: 'BASE_MISSING',
      reason: 'cycle',
      message:
        'cannot restore backup "a" of volume "pvc-1": backup "b" is incremental from snapshot "a", but the manifests form a ' +
        'cycle: backup "a" is reached twice; chain found so far: b -> a',
    },
    {
      name: 'self-referencing manifest',
      manifests: [m('a', { prev: 'a' })],
      backup: 'a',
      all: true,
      code: 'BASE_MISSING',
      reason: 'cycle',
      message: /the manifests form a cycle: backup "a" is reached twice/,
    },
    {
      name: 'duplicate manifests for the target',
      manifests: [m('a'), m('a', { dataKey: 'other/backups/a/pvc-1-a' })],
      backup: 'a',
      all: false,
      code: 'INVALID_ARGUMENT',
      message: 'backup "a" of volume "pvc-1" has 2 manifests (backups/a/pvc-1-a, other/backups/a/pvc-1-a); restore from one location at a time',
    },
  ];
  it.each(cases)('$name', ({ manifests, backup, volume, all, code, reason, message, details }) => {
    const e = thrown(() => planRestore(manifests, { backup, volume: volume ?? 'pvc-1' }, all));
    expect(e.code).toBe(code);
    if (typeof message === 'string') expect(e.message).toBe(message);
    else expect(e.message).toMatch(message);
    if (reason !== undefined) expect(e.details.reason).toBe(reason);
    if (details !== undefined) expect(e.details).toMatchObject(details);
  });
});
