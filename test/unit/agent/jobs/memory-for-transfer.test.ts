import { describe, expect, it } from 'vitest';
import { largestPartFor, memoryForTransfer, JOB_OVERHEAD_BYTES } from '../../../../src/agent/jobs/memory-for-transfer.js';

const MiB = 1024 * 1024;

describe('memory reservation', () => {
  const plan = { initialPartSize: 8 * MiB, growEvery: 1000, maxPartSize: 5 * 1024 * MiB, maxParts: 10_000 };
  it('reserves for the largest part the stream will use', () => {
    expect(largestPartFor(plan, undefined)).toBe(8 * MiB);
    expect(largestPartFor(plan, 100 * MiB)).toBe(8 * MiB);
    // 10 GiB x 1.25 needs more than the first 1000 parts of 8 MiB: the next size is 16 MiB.
    expect(largestPartFor(plan, 10 * 1024 * MiB)).toBe(16 * MiB);
    expect(memoryForTransfer(8 * MiB, 4)).toBe(32 * MiB + JOB_OVERHEAD_BYTES);
  });
});
