import { abortedError, isSnapstreamError } from '../errors.js';

export interface RetryOptions {
  attempts: number;
  baseDelayMs: number;
  signal?: AbortSignal;
  onRetry?: (err: unknown, attempt: number) => void;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 5, baseDelayMs: 500 };

/**
 * Runs `fn` again after retryable SnapstreamErrors, with exponential backoff and jitter. Only the
 * caller knows whether its input is replayable; the pipelines retry parts they still hold in memory.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (opts.signal?.aborted) throw abortedError(opts.signal);
      if (!isSnapstreamError(e) || !e.retryable || attempt >= opts.attempts) throw e;
      opts.onRetry?.(e, attempt);
      const delay = opts.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
      await sleep(delay, opts.signal);
    }
  }
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
