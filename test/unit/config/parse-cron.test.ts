import { describe, expect, it } from 'vitest';
import { parseCron } from '../../../src/config/parse-cron.js';
import { errorOf } from '../parse/helpers.js';

describe('parseCron', () => {
  it.each([
    ['0 1 * * *', { kind: 'cron', expression: '0 1 * * *', timezone: 'UTC' }],
    ['  0   1 * * MON-FRI ', { kind: 'cron', expression: '0 1 * * MON-FRI', timezone: 'UTC' }],
    ['*/5 * * * *', { kind: 'cron', expression: '*/5 * * * *', timezone: 'UTC' }],
    ['@daily', { kind: 'cron', expression: '@daily', timezone: 'UTC' }],
    ['@hourly', { kind: 'cron', expression: '@hourly', timezone: 'UTC' }],
    ['0 0 29 2 *', { kind: 'cron', expression: '0 0 29 2 *', timezone: 'UTC' }],
    ['CRON_TZ=Europe/Paris 0 1 * * *', { kind: 'cron', expression: '0 1 * * *', timezone: 'Europe/Paris' }],
    ['TZ=America/New_York @daily', { kind: 'cron', expression: '@daily', timezone: 'America/New_York' }],
    ['@every 1h', { kind: 'every', intervalMs: 3_600_000 }],
    ['@every 5s', { kind: 'every', intervalMs: 5000 }],
    ['@every 1m30s', { kind: 'every', intervalMs: 90_000 }],
  ] as const)('%j', (input, want) => {
    expect(parseCron('schedule', input)).toEqual(want);
  });
  it.each([
    ['', 'is empty; write a cron expression such as "0 1 * * *" or "@every 6h"'],
    ['0 1 * *', 'has 4 fields; Velero schedules have 5 (minute hour day-of-month month day-of-week), e.g. "0 1 * * *"'],
    [
      '*/5 * * * * *',
      'has 6 fields; Velero schedules have 5 (minute hour day-of-month month day-of-week), e.g. "0 1 * * *"; for runs more often than once a minute use "@every 30s"',
    ],
    ['61 * * * *', 'is not a valid cron expression: Invalid value for minute: 61'],
    ['0 0 31 2 *', 'never fires (no date matches it)'],
    ['CRON_TZ=Mars/Olympus 0 1 * * *', 'names an unknown time zone "Mars/Olympus"; use an IANA name such as "Europe/Berlin"'],
    ['@every 500ms', 'fires more often than once a second; use at least "@every 1s"'],
    ['CRON_TZ=UTC @every 1h', 'combines a time zone with @every, which has no time of day'],
  ])('%j is refused', (input, why) => {
    expect(errorOf(() => parseCron('schedule', input)).message).toBe(`schedule: ${JSON.stringify(input)} ${why}`);
  });
  it('@every with a bad duration names the duration problem', () => {
    expect(errorOf(() => parseCron('schedule', '@every 5')).message).toMatch(/"5" is not a valid duration \(missing unit\)/);
  });
  it('@weekly is accepted, @reboot is not', () => {
    expect(parseCron('s', '@weekly').kind).toBe('cron');
    expect(errorOf(() => parseCron('s', '@reboot')).message).toMatch(/^s: "@reboot" is not a valid cron expression/);
  });
});
