import { describe, expect, it } from 'vitest';
import { MiB, capacityOf, partSizeFor, planParts } from '../../../src/plan/part-plan.js';

const S3 = { minPartSize: 5 * MiB, maxPartSize: 5 * 1024 * MiB, maxParts: 10_000, parallelParts: true };

describe('part plan', () => {
  it('starts at 8 MiB for small or unknown streams', () => {
    expect(planParts({ limits: S3 }).initialPartSize).toBe(8 * MiB);
    expect(planParts({ limits: S3, estimatedBytes: 10 * MiB }).initialPartSize).toBe(8 * MiB);
  });

  it('sizes parts so the estimate fits in 80% of the part limit', () => {
    const est = 500 * 1024 * MiB; // 500 GiB
    const plan = planParts({ limits: S3, estimatedBytes: est });
    expect(plan.initialPartSize).toBe(64 * MiB);
    expect(plan.initialPartSize * 8000).toBeGreaterThanOrEqual(est);
  });

  it('grows part size so streams far beyond 50 GiB never hit 10,000 parts (the stock plugin fails there)', () => {
    const plan = planParts({ limits: S3 }); // unknown size
    expect(partSizeFor(plan, 1)).toBe(8 * MiB);
    expect(partSizeFor(plan, 1000)).toBe(8 * MiB);
    expect(partSizeFor(plan, 1001)).toBe(16 * MiB);
    // capped at MAX_PART_BYTES (1 GiB): a manifest may not declare more, so backups never write more
    expect(partSizeFor(plan, 10_000)).toBe(1024 * MiB);
    // about 4 TiB of capacity from an 8 MiB start (with a size estimate, up to ~9.7 TiB at 1 GiB parts)
    expect(capacityOf(plan)).toBeGreaterThan(4 * 1024 ** 4 * 0.95);
    expect(capacityOf(planParts({ limits: S3, estimatedBytes: 9 * 1024 ** 4 }))).toBeGreaterThan(9 * 1024 ** 4);
    expect(() => partSizeFor(plan, 10_001)).toThrow(/more than 10000 parts/);
  });

  it('honours and validates the multiPartChunkSize override', () => {
    expect(planParts({ limits: S3, partSize: 64 * MiB }).initialPartSize).toBe(64 * MiB);
    expect(() => planParts({ limits: S3, partSize: 1 * MiB })).toThrow(/outside what this store accepts/);
  });

  it('never exceeds the store maximum part size', () => {
    const plan = planParts({ limits: { ...S3, maxPartSize: 100 * MiB } });
    expect(partSizeFor(plan, 9999)).toBe(100 * MiB);
  });
});
