import { describe, expect, it } from 'vitest';
import {
  deriveCompletedBackup,
  isScheduledBackupName,
  planBackup,
  scheduledBackupName,
  scheduledBackupTime,
  type BackupPlanInput,
} from '../../../src/plan/backup-plan.js';
import { SnapstreamError } from '../../../src/errors.js';
import { m } from './fixtures.js';

describe('scheduled backup names', () => {
  it.each([
    ['nightly', '2026-03-04T05:06:07.890Z', 'nightly-20260304050607'],
    ['a.b-c', '1999-12-31T23:59:59Z', 'a.b-c-19991231235959'],
    ['s', '2026-01-01T00:00:00+02:00', 's-20251231220000'],
  ])('%s at %s -> %s', (schedule, at, want) => {
    expect(scheduledBackupName(schedule, new Date(at))).toBe(want);
    expect(isScheduledBackupName(want, schedule)).toBe(true);
    expect(scheduledBackupTime(want, schedule)!.toISOString()).toBe(new Date(Math.floor(Date.parse(at) / 1000) * 1000).toISOString());
  });

  it('refuses an empty schedule and an invalid date', () => {
    expect(() => scheduledBackupName('', new Date())).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => scheduledBackupName('s', new Date('nope'))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it.each([
    ['nightly-20260304050607', undefined, true],
    ['nightly-20260304050607', 'nightly', true],
    ['nightly-20260304050607', 'night', false],
    ['a-b-20260304050607', 'a', false],
    ['a-b-20260304050607', 'a-b', true],
    ['nightly-2026030405060', undefined, false],
    ['nightly-202603040506077', undefined, false],
    ['nightly20260304050607', undefined, false],
    ['-20260304050607', undefined, false],
    ['nightly-20260230000000', undefined, false],
    ['nightly-20261301000000', undefined, false],
    ['nightly-20260304250000', undefined, false],
    ['nightly-20260304236000', undefined, false],
    ['manual-backup', undefined, false],
  ])('isScheduledBackupName(%j, %j) = %s', (name, schedule, want) => {
    expect(isScheduledBackupName(name, schedule)).toBe(want);
  });
});

describe('planBackup', () => {
  const now = new Date('2026-05-01T01:00:00Z');
  const base: BackupPlanInput = { schedule: 'nightly', volume: 'pvc-1', now, disableIncrementalBackups: false, completed: undefined };
  const completed = { lastSnapName: 'nightly-20260430010000', secondLastSnapName: 'nightly-20260429010000' };
  const cases: { name: string; over: Partial<BackupPlanInput>; prev: string; reason: string }[] = [
    { name: 'first backup is full', over: {}, prev: '', reason: 'full: no completed backup of this schedule and volume yet' },
    { name: 'incremental from the last completed', over: { completed }, prev: 'nightly-20260430010000', reason: 'incremental from "nightly-20260430010000", the last completed backup' },
    { name: 'disabled incrementals: always full', over: { completed, disableIncrementalBackups: true }, prev: '', reason: 'full: disableIncrementalBackups is true' },
    { name: 'disabled and nothing completed', over: { disableIncrementalBackups: true }, prev: '', reason: 'full: disableIncrementalBackups is true' },
    {
      name: 'base present on the pool',
      over: { completed, poolSnapshots: ['nightly-20260430010000', 'other'] },
      prev: 'nightly-20260430010000',
      reason: 'incremental from "nightly-20260430010000", the last completed backup',
    },
    {
      name: 'base gone from the pool: full',
      over: { completed, poolSnapshots: ['nightly-20260429010000'] },
      prev: '',
      reason: 'full: the last completed backup\'s snapshot "nightly-20260430010000" is no longer on the pool',
    },
    { name: 'retention promotion forces a full backup', over: { completed, fullBecause: 'full: promote' }, prev: '', reason: 'full: promote' },
    { name: 'disabled incrementals win over promotion', over: { completed, disableIncrementalBackups: true, fullBecause: 'full: promote' }, prev: '', reason: 'full: disableIncrementalBackups is true' },
    { name: 'empty completed record', over: { completed: { lastSnapName: '', secondLastSnapName: '' } }, prev: '', reason: 'full: no completed backup of this schedule and volume yet' },
  ];
  it.each(cases)('$name', ({ over, prev, reason }) => {
    expect(planBackup({ ...base, ...over })).toEqual({
      backupName: 'nightly-20260501010000',
      snapName: 'nightly-20260501010000',
      prevSnapName: prev,
      reason,
    });
  });

  it('refuses a second run in the same second', () => {
    try {
      planBackup({ ...base, completed: { lastSnapName: 'nightly-20260501010000', secondLastSnapName: '' } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SnapstreamError);
      expect((e as SnapstreamError).code).toBe('ALREADY_EXISTS');
      expect((e as SnapstreamError).message).toBe(
        'backup "nightly-20260501010000" of volume "pvc-1" already completed; a schedule cannot run twice in the same second',
      );
    }
  });

  it('refuses an empty volume', () => {
    expect(() => planBackup({ ...base, volume: '' })).toThrow('a backup needs a volume name');
  });
});

describe('deriveCompletedBackup', () => {
  const s = (backup: string, over = {}): ReturnType<typeof m> => m(backup, { schedule: 'nightly', ...over });
  const cases: { name: string; manifests: ReturnType<typeof m>[]; want: object | undefined }[] = [
    { name: 'nothing', manifests: [], want: undefined },
    { name: 'one', manifests: [s('nightly-20260101010000')], want: { lastSnapName: 'nightly-20260101010000', secondLastSnapName: '' } },
    {
      name: 'last two by name timestamp, whatever the listing order',
      manifests: [s('nightly-20260103010000'), s('nightly-20260101010000'), s('nightly-20260102010000')],
      want: { lastSnapName: 'nightly-20260103010000', secondLastSnapName: 'nightly-20260102010000' },
    },
    {
      name: 'other schedules, other volumes and ad-hoc backups are ignored',
      manifests: [
        s('nightly-20260101010000'),
        m('nightly-20260105010000', { schedule: 'nightly', volume: 'pvc-2' }),
        m('hourly-20260106010000', { schedule: 'hourly' }),
        m('manual', { startedAt: '2027-01-01T00:00:00Z' }),
      ],
      want: { lastSnapName: 'nightly-20260101010000', secondLastSnapName: '' },
    },
    {
      name: 'snapshot names come from the manifest, not the backup name',
      manifests: [s('nightly-20260101010000', { snapshot: 'snap-a' }), s('nightly-20260102010000', { snapshot: 'snap-b' })],
      want: { lastSnapName: 'snap-b', secondLastSnapName: 'snap-a' },
    },
    {
      name: 'non-timestamp names of the schedule fall back to startedAt',
      manifests: [
        s('nightly-manual-1', { startedAt: '2026-01-03T00:00:00Z' }),
        s('nightly-20260102010000'),
      ],
      want: { lastSnapName: 'nightly-manual-1', secondLastSnapName: 'nightly-20260102010000' },
    },
  ];
  it.each(cases)('$name', ({ manifests, want }) => {
    expect(deriveCompletedBackup(manifests, 'nightly', 'pvc-1')).toEqual(want);
  });

  it('an ad-hoc schedule "" never has a completed record', () => {
    expect(deriveCompletedBackup([m('a'), m('b')], '', 'pvc-1')).toBeUndefined();
  });
});
