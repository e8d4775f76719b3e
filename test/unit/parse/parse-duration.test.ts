import { describe, expect, it } from 'vitest';
import { parseGoDuration } from '../../../src/parse/parse-duration.js';
import { errorOf } from './helpers.js';

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
