import { describe, expect, it } from 'vitest';
import { formatCron, scheduleRow } from '../../../../src/cli/commands/schedule.js';
import { parseConfig } from '../../../../src/config/load-config.js';
import { parseCron } from '../../../../src/config/parse-cron.js';
import { STATUS_FORMAT, STATUS_VERSION, type ScheduleStatus } from '../../../../src/controller/schedule-status.js';
import { m } from '../../plan/fixtures.js';

const cfg = parseConfig([
  {
    file: 'c.yaml',
    text: `apiVersion: velero.io/v1
kind: VolumeSnapshotLocation
metadata: {name: loc}
spec:
  provider: openebs.io/cstor-blockstore
  config: {provider: aws, bucket: backups, region: r, disableIncrementalBackups: "true"}
---
apiVersion: velero.io/v1
kind: Schedule
metadata:
  name: nightly
  annotations: {snapstream.io/volumes: "pvc-1=tank/pvc-1", snapstream.io/keep-last: "7"}
spec:
  schedule: "0 1 * * *"
  template: {ttl: 72h}
`,
  },
]);
const s = cfg.schedules[0]!;
const loc = cfg.locations[0]!;
const now = new Date('2026-03-02T12:00:00Z');
const status = (over: Partial<ScheduleStatus>): ScheduleStatus => ({
  format: STATUS_FORMAT, version: STATUS_VERSION, schedule: 'nightly', lastSlot: '2026-03-02T01:00:00.000Z', lastBackup: 'nightly-20260302010000',
  lastResult: 'failed', lastStartedAt: '2026-03-02T01:00:00.100Z', lastFinishedAt: '2026-03-02T01:00:30.000Z', lastError: 'pvc-1: STORE_FAILED boom',
  attempts: 3, lastSuccessAt: '', consecutiveFailures: 1, missedSlots: 0, volumes: [], ...over,
});

describe('schedule ls rows', () => {
  const backups = [m('nightly-20260228010000', { schedule: 'nightly' }), m('nightly-20260301010000', { schedule: 'nightly' }), m('other-20260301010000', { schedule: 'other' })];

  it('a failed last run shows as failed with its error, next to the backups that exist', () => {
    expect(scheduleRow(s, loc, backups, status({}), now)).toEqual({
      schedule: 'nightly', cron: '0 1 * * *', location: 'loc', mode: 'full', paused: false, retention: 'ttl 72h, keep 7', volumes: ['pvc-1'],
      lastRun: '2026-03-02T01:00:00.000Z', lastResult: 'failed', lastError: 'pvc-1: STORE_FAILED boom', nextRun: '2026-03-03T01:00:00.000Z',
      backups: 2, newestBackup: 'nightly-20260301010000 (full)', missedSlots: 0,
    });
  });

  it('a backup newer than the status record wins (made by an older controller)', () => {
    const r = scheduleRow(s, loc, backups, status({ lastSlot: '2026-02-27T01:00:00.000Z' }), now);
    expect([r.lastRun, r.lastResult, r.lastError]).toEqual(['2026-03-01T01:00:00.000Z', 'succeeded', '']);
  });

  it('without any status or backup, only the next run is known', () => {
    const r = scheduleRow(s, loc, [], undefined, now);
    expect([r.lastRun, r.lastResult, r.backups, r.nextRun]).toEqual(['', '', 0, '2026-03-03T01:00:00.000Z']);
  });

  it.each(['0 1 * * *', '@every 1h30m', '@every 45s', 'CRON_TZ=Europe/Berlin 0 1 * * *'])('formats %s back as written', (expr) => {
    expect(formatCron(parseCron('k', expr))).toBe(expr);
  });
});
