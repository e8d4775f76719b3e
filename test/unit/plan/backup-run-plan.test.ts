import { describe, expect, it } from 'vitest';
import { type BackupFacts, type BackupRequest, backupTargetOf, planBackupRun } from '../../../src/plan/backup-run-plan.js';
import { JOB_OVERHEAD_BYTES } from '../../../src/plan/memory-bound.js';
import { MiB } from '../../../src/plan/part-plan.js';
import { planRestoreRun } from '../../../src/plan/restore-run-plan.js';
import { parseDatasetName } from '../../../src/zfs/names.js';

const S3 = { minPartSize: 5 * MiB, maxPartSize: 5 * 1024 * MiB, maxParts: 10_000, parallelParts: true };
const req: BackupRequest = { dataset: parseDatasetName('tank/v'), snapshot: 's2', previousSnapshot: 's1', backup: 's2', volume: 'pvc-1', layout: { backupPathPrefix: 'c', prefix: '' } };
const facts: BackupFacts = {
  snapshotExists: true,
  baseExists: true,
  estimate: { bytes: 100 * MiB, exact: true },
  snapshotGuid: '11',
  previousSnapshotGuid: '10',
  sendArgs: ['send', '-i', '@s1', 'tank/v@s2'],
  limits: S3,
  encrypted: false,
};
const plan = (r: BackupRequest, f: Partial<BackupFacts> = {}) => planBackupRun(r, backupTargetOf(r), { ...facts, ...f });

describe('backup run plan', () => {
  it('carries names, keys, guids, the part layout and the memory bound the pipeline and the agent share', () => {
    const p = plan({ ...req, transfer: { concurrency: 2 } });
    expect(p).toMatchObject({
      dataset: 'tank/v',
      snapshot: 's2',
      previousSnapshot: 's1',
      dataKey: 'c/backups/s2/pvc-1-s2',
      manifestKey: 'c/backups/s2/pvc-1-s2.snapstream.json',
      snapshotGuid: '11',
      previousSnapshotGuid: '10',
      concurrency: 2,
      parts: { initialPartSize: 8 * MiB },
    });
    // (concurrency + 1) buffers of the largest part, plus the constant.
    expect(p.memoryBytes).toBe(3 * 8 * MiB + JOB_OVERHEAD_BYTES);
    expect(plan(req, { encrypted: true }).memoryBytes).toBe(2 * 5 * 8 * MiB + JOB_OVERHEAD_BYTES);
  });

  it('refuses a missing snapshot (NOT_FOUND) or base (BASE_MISSING); disableIncrementalBackups drops the base', () => {
    expect(() => plan(req, { snapshotExists: false })).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(() => plan(req, { baseExists: false })).toThrow(expect.objectContaining({ code: 'BASE_MISSING' }));
    const full = plan({ ...req, disableIncrementalBackups: true, previousBackup: 's1' }, { baseExists: false });
    expect(full).toMatchObject({ previousSnapshot: undefined, previousSnapshotGuid: '', previousBackup: '', baseIgnored: true });
  });

  it('validates names before any probe runs', () => {
    expect(() => backupTargetOf({ ...req, snapshot: 's2;rm' })).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
    expect(() => backupTargetOf({ ...req, backup: '../evil' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => backupTargetOf({ ...req, previousSnapshot: 's2' })).toThrow(/both s2/);
  });

  it('a restore plan reserves for the largest part of its whole chain', () => {
    const m = (size: number) => ({ parts: [{ n: 1, offset: 0, size }] }) as never;
    const r = planRestoreRun({ backup: 'b', volume: 'v', layout: req.layout, target: req.dataset, transfer: { concurrency: 3 } }, [m(64 * MiB), m(9 * MiB)]);
    expect(r.memoryBytes).toBe(4 * 64 * MiB + JOB_OVERHEAD_BYTES);
    expect(planRestoreRun({ backup: 'b', volume: 'v', layout: req.layout, target: req.dataset }, 'legacy').memoryBytes).toBe(5 * 8 * MiB + JOB_OVERHEAD_BYTES);
  });
});
