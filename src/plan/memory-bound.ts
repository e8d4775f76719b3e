import type { Manifest } from '../model/manifest.js';
import { DEFAULT_PART_SIZE, type PartPlan, largestPartFor } from './part-plan.js';

/**
 * What a transfer may hold in memory at once, computed from its plan. The pipelines' workers pull
 * parts from one generator with a fixed number of buffers, so these are bounds by construction, not
 * estimates of typical use; the agent reserves them from its memory budget before a job starts.
 */

/** The process pipe, hashing state, SDK sockets and the manifest, on top of the part buffers. */
export const JOB_OVERHEAD_BYTES = 16 * 1024 * 1024;

/**
 * A backup holds (concurrency + 1) part buffers: the one being filled and the ones uploading, each
 * as large as the largest part the estimated stream reaches. Encrypting holds each in-flight part
 * twice (plaintext buffer and its sealed copy).
 */
export function backupMemoryBound(parts: PartPlan, estimatedBytes: number | undefined, concurrency: number, encrypted: boolean): number {
  return (concurrency + 1) * largestPartFor(parts, estimatedBytes) * (encrypted ? 2 : 1) + JOB_OVERHEAD_BYTES;
}

/**
 * A download holds (window + 1) buffers of the largest part of every backup it reads (a chain
 * restore reads its bases too, and a base may have far larger parts than the named backup). An
 * encrypted part is held twice while it is decrypted (stored bytes and plaintext). An unverified
 * (manifest-less) restore streams the object and is bounded as if its parts were the default size.
 */
export function downloadMemoryBound(manifests: readonly Manifest[], window: number): number {
  let largest = DEFAULT_PART_SIZE;
  let encrypted = false;
  for (const m of manifests) {
    for (const p of m.parts) largest = Math.max(largest, p.size);
    if (m.encryption) encrypted = true;
  }
  return (window + 1) * largest * (encrypted ? 2 : 1) + JOB_OVERHEAD_BYTES;
}
