import { sleep } from './retry.js';

/**
 * Waits until `bytes` moved since `started` (ms) fit in an average of `rate` bytes per second. Called
 * between parts, so the pace is smooth at part granularity and the source simply waits (backpressure).
 */
export async function throttle(bytes: number, started: number, rate: number, signal: AbortSignal): Promise<void> {
  const due = started + (bytes / rate) * 1000;
  const wait = due - Date.now();
  if (wait > 0) await sleep(wait, signal);
}
