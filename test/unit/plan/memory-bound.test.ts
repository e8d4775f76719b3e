import { describe, expect, it } from 'vitest';
import { JOB_OVERHEAD_BYTES, backupMemoryBound } from '../../../src/plan/memory-bound.js';
import { largestPartFor } from '../../../src/plan/part-plan.js';

const MiB = 1024 * 1024;

describe('memory reservation', () => {
  const plan = { initialPartSize: 8 * MiB, growEvery: 1000, maxPartSize: 5 * 1024 * MiB, maxParts: 10_000 };
  it('reserves for the largest part the stream will use', () => {
    expect(largestPartFor(plan, undefined)).toBe(8 * MiB);
    expect(largestPartFor(plan, 100 * MiB)).toBe(8 * MiB);
    // 10 GiB x 1.25 needs more than the first 1000 parts of 8 MiB: the next size is 16 MiB.
    expect(largestPartFor(plan, 10 * 1024 * MiB)).toBe(16 * MiB);
    // (concurrency + 1) buffers of the largest part, twice over when encrypting.
    expect(backupMemoryBound(plan, 100 * MiB, 4, false)).toBe(40 * MiB + JOB_OVERHEAD_BYTES);
    expect(backupMemoryBound(plan, 10 * 1024 * MiB, 4, true)).toBe(160 * MiB + JOB_OVERHEAD_BYTES);
  });
});
