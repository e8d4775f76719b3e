import { abortedError, isSnapstreamError } from '../../errors.js';
import type { RetryPolicy } from './retry-policy.js';

export interface RetryOptions extends RetryPolicy {
  signal?: AbortSignal;
  onRetry?: (err: unknown, attempt: number) => void;
}

/**
 * Runs `fn` again after retryable SnapstreamErrors, with exponential backoff and jitter. Only the
 * caller knows whether its input is replayable; the store decorators retry calls whose bytes the
 * caller holds until the call settles (part buffers, small objects).
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (opts.signal?.aborted) throw abortedError(opts.signal);
      if (!isSnapstreamError(e) || !e.retryable || attempt >= opts.attempts) throw e;
      opts.onRetry?.(e, attempt);
      await sleep(backoffDelay(opts, attempt), opts.signal);
    }
  }
}

/** Exponential backoff with jitter: base x 2^(attempt-1), scaled by 0.5-1 so retries spread out. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return policy.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortedError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
