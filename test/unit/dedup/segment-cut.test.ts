import { describe, expect, it } from 'vitest';
import { shouldCut, SEGMENT_MAX_BYTES, SEGMENT_MIN_BYTES } from '../../../src/dedup/segment-cut.js';

describe('segment cut points', () => {
  const MiB = 1024 * 1024;
  const w = (object: number, offset: number) => ({ type: 3, object, offset, payloadBytes: 128 * 1024 });
  it('cut at 1 MiB boundaries of an object, at MAX, and at object changes past MIN', () => {
    expect(shouldCut({ bytes: 0, lastObject: -1 }, w(5, 0))).toBe(false);
    expect(shouldCut({ bytes: 3 * MiB, lastObject: 5 }, w(5, 3 * MiB + 128 * 1024))).toBe(false);
    expect(shouldCut({ bytes: 3 * MiB, lastObject: 5 }, w(5, 4 * MiB))).toBe(true);
    expect(shouldCut({ bytes: SEGMENT_MAX_BYTES - 1000, lastObject: 5 }, w(5, 1000))).toBe(true);
    expect(shouldCut({ bytes: SEGMENT_MIN_BYTES, lastObject: 5 }, w(6, 0))).toBe(true);
  });
  it('does not depend on bytes before the open segment: the same block starts the same segment in every send', () => {
    for (const before of [10_000, 900_000, 1_500_000]) expect(shouldCut({ bytes: before, lastObject: 9 }, w(9, 6 * MiB))).toBe(true);
  });
});
