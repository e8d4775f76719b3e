/**
 * Memory a transfer job may hold at once: `concurrency` part buffers in flight plus a constant for
 * the process pipe, hashing state, SDK sockets and the manifest. The core's workers pull parts from
 * one generator, so this is a bound by construction, not an estimate of typical use.
 */
export const JOB_OVERHEAD_BYTES = 16 * 1024 * 1024;

export function memoryForTransfer(partSize: number, concurrency: number): number {
  return Math.max(1, concurrency) * Math.max(0, partSize) + JOB_OVERHEAD_BYTES;
}

/**
 * The largest part a stream of `bytes` will use under a growing part plan (sizes double every
 * `growEvery` parts). A backup reserves memory for this size, not the first part's, so a large
 * stream cannot outgrow its reservation; 25% headroom covers estimates that run short.
 */
export function largestPartFor(plan: { initialPartSize: number; growEvery: number; maxPartSize: number; maxParts: number }, bytes: number | undefined): number {
  if (bytes === undefined || bytes <= 0) return plan.initialPartSize;
  let remaining = bytes * 1.25;
  let size = plan.initialPartSize;
  for (let n = 1; n <= plan.maxParts && remaining > 0; n += plan.growEvery) {
    size = Math.min(plan.initialPartSize * 2 ** Math.floor((n - 1) / plan.growEvery), plan.maxPartSize);
    remaining -= size * plan.growEvery;
  }
  return size;
}
