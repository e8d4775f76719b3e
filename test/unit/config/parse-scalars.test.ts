import { describe, expect, it } from 'vitest';
import { didYouMean } from '../../../src/parse/did-you-mean.js';
import { parseBoolean } from '../../../src/parse/parse-boolean.js';
import { parseCron } from '../../../src/config/parse-cron.js';
import { parseGoDuration } from '../../../src/parse/parse-duration.js';
import { parseQuantityBytes } from '../../../src/parse/parse-quantity.js';
import { SnapstreamError } from '../../../src/errors.js';

function errorOf(f: () => unknown): SnapstreamError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SnapstreamError);
    expect((e as SnapstreamError).code).toBe('INVALID_ARGUMENT');
    return e as SnapstreamError;
  }
  throw new Error('expected an error');
}

describe('parseBoolean', () => {
  it.each([
    ['true', true], ['TRUE', true], ['True', true], ['yes', true], ['YES', true], ['1', true], [' true ', true],
    ['false', false], ['False', false], ['no', false], ['No', false], ['0', false],
  ] as const)('%j -> %s', (input, want) => {
    expect(parseBoolean('k', input)).toBe(want);
  });
  it.each([
    ['', 'k: "" is not a boolean; use "true" or "false" (yes/no and 1/0 are accepted too)'],
    ['ture', 'k: "ture" is not a boolean; use "true" or "false" (yes/no and 1/0 are accepted too)'],
    ['on', 'k: "on" is not a boolean; use "true" or "false" (yes/no and 1/0 are accepted too)'],
    ['2', 'k: "2" is not a boolean; use "true" or "false" (yes/no and 1/0 are accepted too)'],
    [
      '\u201ctrue\u201d',
      'k: "\u201ctrue\u201d" is not a boolean; the value is wrapped in typographic quotes (“ ”), which YAML keeps as part of the text; use straight quotes: k: "true"',
    ],
  ])('%j is refused', (input, message) => {
    expect(errorOf(() => parseBoolean('k', input)).message).toBe(message);
  });
});

describe('parseGoDuration', () => {
  it.each([
    ['0', 0], ['60s', 60_000], ['1m30s', 90_000], ['720h0m0s', 2_592_000_000], ['1.5h', 5_400_000], ['.5s', 500],
    ['250ms', 250], ['1500us', 2], ['1h1m1s1ms', 3_661_001], ['+5s', 5000], ['0s', 0], ['100ns', 0],
  ] as const)('%s -> %d ms', (input, ms) => {
    expect(parseGoDuration('ttl', input)).toBe(ms);
  });
  it.each([
    ['60', 'missing unit'],
    ['', 'it is empty'],
    ['-5s', 'it is negative'],
    ['5 s', 'unexpected "5 s"'],
    ['5d', 'unexpected "5d"'],
    ['1h-1m', 'unexpected "-1m"'],
    ['s', 'unexpected "s"'],
    ['.s', 'unexpected ".s"'],
  ])('%j is refused: %s', (input, why) => {
    expect(errorOf(() => parseGoDuration('ttl', input)).message).toBe(
      `ttl: ${JSON.stringify(input)} is not a valid duration (${why}); write a Go duration such as "60s", "1m30s" or "720h0m0s"`,
    );
  });
});

describe('parseQuantityBytes', () => {
  it.each([
    ['64Mi', 64 * 2 ** 20], ['5Mi', 5 * 2 ** 20], ['1Gi', 2 ** 30], ['100M', 100_000_000], ['5242880', 5_242_880],
    ['1.5Gi', 1.5 * 2 ** 30], ['1e9', 1e9], ['2E3', 2000], ['1k', 1000], ['1Ki', 1024], ['0.5Mi', 2 ** 19],
    ['1P', 1e15], ['1E', null], ['+8Mi', 8 * 2 ** 20], ['1500m', null],
  ] as const)('%s -> %s', (input, want) => {
    if (want === null) expect(() => parseQuantityBytes('q', input)).toThrow(/not a whole number of bytes|too large/);
    else expect(parseQuantityBytes('q', input)).toBe(want);
  });
  it.each([
    ['64MB', 'expected a number with an optional suffix Ki, Mi, Gi, Ti, k, M, G, T'],
    ['64mi', 'expected a number with an optional suffix Ki, Mi, Gi, Ti, k, M, G, T'],
    ['', 'expected a number with an optional suffix Ki, Mi, Gi, Ti, k, M, G, T'],
    ['-5Mi', 'it is negative'],
    ['1.1', 'it is not a whole number of bytes'],
    ['1e40', 'it is too large'],
    ['100Ei', 'it is too large'],
  ])('%j is refused: %s', (input, why) => {
    expect(errorOf(() => parseQuantityBytes('multiPartChunkSize', input)).message).toBe(
      `multiPartChunkSize: ${JSON.stringify(input)} is not a valid size (${why}); write a Kubernetes quantity such as "64Mi" or "100M"`,
    );
  });
});

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

describe('didYouMean', () => {
  const keys = ['disableIncrementalBackups', 'DisableSSL', 's3Url', 'region', 'restApiTimeout', 'bucket'];
  it.each([
    ['disableIncrementalBackup', 'disableIncrementalBackups'],
    ['disableSSL', 'DisableSSL'],
    ['s3URL', 's3Url'],
    ['regoin', 'region'],
    ['restAPITimeout', 'restApiTimeout'],
    ['buckt', 'bucket'],
    ['endpoint', undefined],
    ['zone', undefined],
  ])('%s -> %s', (input, want) => {
    expect(didYouMean(input, keys)).toBe(want);
  });
});
