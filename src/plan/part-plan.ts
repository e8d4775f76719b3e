import { ErrorCode, SnapstreamError } from '../errors.js';
import type { StoreLimits } from '../store/object-store.js';
import { maxPartBytes } from '../model/max-part-size.js';

export const MiB = 1024 * 1024;
export const DEFAULT_PART_SIZE = 8 * MiB;

/**
 * How big each part of an upload is. Pure. The first part size is chosen so the expected stream fits
 * in 80% of the store's part limit; after that, every `growEvery` parts the size doubles, so even a
 * stream far larger than expected (or of unknown size) never runs into the limit: with S3's 10,000
 * parts and 8 MiB to start, capacity is about 8 TB. This is the fix for today's plugin failing at
 * ~50 GiB (part size stuck at 5 MiB).
 */
export interface PartPlan {
  initialPartSize: number;
  growEvery: number;
  maxPartSize: number;
  maxParts: number;
}

export interface PartPlanInput {
  limits: StoreLimits;
  /** Expected stream size in bytes, if known. */
  estimatedBytes?: number;
  /** User override of the initial part size (VSL multiPartChunkSize, --part-size). */
  partSize?: number;
}

export function planParts(input: PartPlanInput): PartPlan {
  // Parts never exceed what a manifest may declare (max-part-size.ts), whatever the store allows.
  const limits = { ...input.limits, maxPartSize: Math.min(input.limits.maxPartSize, maxPartBytes()) };
  const maxParts = limits.maxParts;
  let initial: number;
  if (input.partSize !== undefined) {
    if (!Number.isSafeInteger(input.partSize) || input.partSize < limits.minPartSize || input.partSize > limits.maxPartSize) {
      throw new SnapstreamError(
        ErrorCode.INVALID_ARGUMENT,
        `part size ${input.partSize} is outside what this store accepts (${limits.minPartSize}..${limits.maxPartSize} bytes)`,
      );
    }
    initial = input.partSize;
  } else {
    initial = Math.max(DEFAULT_PART_SIZE, limits.minPartSize);
    if (input.estimatedBytes !== undefined && input.estimatedBytes > 0) {
      const needed = Math.ceil(input.estimatedBytes / Math.floor(maxParts * 0.8));
      initial = Math.max(initial, Math.ceil(needed / MiB) * MiB);
    }
    initial = Math.min(initial, limits.maxPartSize);
  }
  return { initialPartSize: initial, growEvery: Math.max(1, Math.floor(maxParts / 10)), maxPartSize: limits.maxPartSize, maxParts };
}

/** Size of 1-based part `n`. Throws PART_LIMIT past the store's part count. */
export function partSizeFor(plan: PartPlan, n: number): number {
  if (n > plan.maxParts) {
    throw new SnapstreamError(
      ErrorCode.PART_LIMIT,
      `stream needs more than ${plan.maxParts} parts (capacity ${capacityOf(plan)} bytes); set a larger part size`,
    );
  }
  const doublings = Math.floor((n - 1) / plan.growEvery);
  return Math.min(plan.initialPartSize * 2 ** Math.min(doublings, 40), plan.maxPartSize);
}

/** A stream estimate can run short; memory is reserved for 25% more than estimated. */
const ESTIMATE_HEADROOM = 1.25;

/**
 * The largest part a stream of `bytes` will use under this plan (partSizeFor, the one doubling
 * rule). A backup reserves memory for this size, not the first part's, so a large stream cannot
 * outgrow its reservation.
 */
export function largestPartFor(plan: PartPlan, bytes: number | undefined): number {
  if (bytes === undefined || bytes <= 0) return plan.initialPartSize;
  let remaining = bytes * ESTIMATE_HEADROOM;
  let size = plan.initialPartSize;
  for (let n = 1; n <= plan.maxParts && remaining > 0; n += plan.growEvery) {
    size = partSizeFor(plan, n);
    remaining -= size * plan.growEvery;
  }
  return size;
}

/** The largest stream the plan can carry. */
export function capacityOf(plan: PartPlan): number {
  let total = 0;
  for (let n = 1; n <= plan.maxParts; n += plan.growEvery) {
    total += partSizeFor(plan, n) * Math.min(plan.growEvery, plan.maxParts - n + 1);
  }
  return total;
}
