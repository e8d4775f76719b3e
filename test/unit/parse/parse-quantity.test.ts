import { describe, expect, it } from 'vitest';
import { parseQuantityBytes } from '../../../src/parse/parse-quantity.js';
import { errorOf } from './helpers.js';

describe('parseQuantityBytes', () => {
  it.each([
    ['64Mi', 64 * 2 ** 20], ['5Mi', 5 * 2 ** 20], ['1Gi', 2 ** 30], ['100M', 100_000_000], ['5242880', 5_242_880],
    ['1.5Gi', 1.5 * 2 ** 30], ['1e9', 1e9], ['2E3', 2000], ['1k', 1000], ['1Ki', 1024], ['0.5Mi', 2 ** 19],
    ['1P', 1e15], ['1E', null], ['+8Mi', 8 * 2 ** 20], ['1500m', null], ['1000m', 1],
  ] as const)('%s -> %s', (input, want) => {
    if (want === null) expect(() => parseQuantityBytes('q', input)).toThrow(/not a whole number of bytes|too large|is milli/);
    else expect(parseQuantityBytes('q', input)).toBe(want);
  });
  it.each([
    ['64MB', 'expected a number with an optional suffix Ki, Mi, Gi, Ti, k, M, G, T'],
    ['64mi', 'expected a number with an optional suffix Ki, Mi, Gi, Ti, k, M, G, T'],
    ['', 'expected a number with an optional suffix Ki, Mi, Gi, Ti, k, M, G, T'],
    ['-5Mi', 'it is negative'],
    ['1.1', 'it is not a whole number of bytes'],
    // Lower-case m is milli, as in Kubernetes: never megabytes (the agent config once read it so).
    ['512m', '"m" is milli (10^-3) in a Kubernetes quantity: write "M" for 10^6 or "Mi" for 2^20'],
    ['1e40', 'it is too large'],
    ['100Ei', 'it is too large'],
  ])('%j is refused: %s', (input, why) => {
    expect(errorOf(() => parseQuantityBytes('multiPartChunkSize', input)).message).toBe(
      `multiPartChunkSize: ${JSON.stringify(input)} is not a valid size (${why}); write a Kubernetes quantity such as "64Mi" or "100M"`,
    );
  });
});
