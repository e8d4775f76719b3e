import { describe, expect, it } from 'vitest';
import { parseCron } from '../../../src/config/parse-cron.js';
import { slotClock, slotsBetween } from '../../../src/controller/schedule-slots.js';
import { parseStatus, serializeStatus, STATUS_FORMAT, STATUS_VERSION, type ScheduleStatus } from '../../../src/controller/schedule-status.js';

const d = (s: string) => new Date(s);
const iso = (x: Date | undefined) => x?.toISOString();

describe('slot clock', () => {
  it.each([
    // [schedule, at, latest slot at or before, next slot after]
    ['0 1 * * *', '2026-03-01T00:59:59Z', '2026-02-28T01:00:00.000Z', '2026-03-01T01:00:00.000Z'],
    ['0 1 * * *', '2026-03-01T01:00:00Z', '2026-03-01T01:00:00.000Z', '2026-03-02T01:00:00.000Z'],
    ['*/15 * * * *', '2026-03-01T10:07:30Z', '2026-03-01T10:00:00.000Z', '2026-03-01T10:15:00.000Z'],
    ['@hourly', '2026-03-01T10:59:59.999Z', '2026-03-01T10:00:00.000Z', '2026-03-01T11:00:00.000Z'],
    ['CRON_TZ=Europe/Berlin 0 1 * * *', '2026-03-01T12:00:00Z', '2026-03-01T00:00:00.000Z', '2026-03-02T00:00:00.000Z'],
    // @every slots are multiples of the interval since the epoch: a restart does not move them.
    ['@every 10s', '2026-03-01T10:00:07Z', '2026-03-01T10:00:00.000Z', '2026-03-01T10:00:10.000Z'],
    ['@every 10s', '2026-03-01T10:00:10Z', '2026-03-01T10:00:10.000Z', '2026-03-01T10:00:20.000Z'],
    ['@every 1h30m', '2026-03-01T10:00:00Z', '2026-03-01T09:00:00.000Z', '2026-03-01T10:30:00.000Z'],
  ])('%s at %s', (expr, at, latest, next) => {
    const c = slotClock(parseCron('schedule', expr));
    expect(iso(c.latestAtOrBefore(d(at)))).toBe(latest);
    expect(iso(c.nextAfter(d(at)))).toBe(next);
  });

  it('counts missed slots between two instants', () => {
    const c = slotClock(parseCron('schedule', '@every 10s'));
    expect(slotsBetween(c, d('2026-03-01T10:00:00Z'), d('2026-03-01T10:01:00Z'))).toBe(5);
    expect(slotsBetween(c, d('2026-03-01T10:00:00Z'), d('2026-03-01T10:00:10Z'))).toBe(0);
    expect(slotsBetween(c, d('2026-03-01T10:00:00Z'), d('2027-03-01T10:00:00Z'), 100)).toBe(100);
  });
});

describe('schedule status record', () => {
  const good: ScheduleStatus = {
    format: STATUS_FORMAT,
    version: STATUS_VERSION,
    schedule: 'nightly',
    lastSlot: '2026-03-01T01:00:00.000Z',
    lastBackup: 'nightly-20260301010000',
    lastResult: 'failed',
    lastStartedAt: '2026-03-01T01:00:00.100Z',
    lastFinishedAt: '2026-03-01T01:00:09.000Z',
    lastError: 'pvc-1: STORE_FAILED boom',
    attempts: 3,
    lastSuccessAt: '',
    consecutiveFailures: 2,
    missedSlots: 1,
    volumes: [{ volume: 'pvc-1', result: 'failed', error: 'boom', errorCode: 'STORE_FAILED' }],
  };
  it('round-trips', () => {
    expect(parseStatus(serializeStatus(good), 'nightly')).toEqual(good);
  });
  it.each([
    ['another schedule', serializeStatus(good), 'weekly'],
    ['not JSON', Buffer.from('{'), 'nightly'],
    ['unknown result', Buffer.from(JSON.stringify({ ...good, lastResult: 'great' })), 'nightly'],
    ['bad slot', Buffer.from(JSON.stringify({ ...good, lastSlot: 'yesterday' })), 'nightly'],
    ['future version', Buffer.from(JSON.stringify({ ...good, version: 2 })), 'nightly'],
  ])('reads %s as no status', (_n, bytes, schedule) => {
    expect(parseStatus(bytes, schedule)).toBeUndefined();
  });
});
