import type { CallKind } from './call-kind.js';

export interface RetryPolicy {
  /** Attempts in all, the first included (1 = no retry). */
  attempts: number;
  /** Delay before the second attempt; doubled for each further one, with jitter (0.5x-1x). */
  baseDelayMs: number;
}

/**
 * One policy per kind of call. Part uploads and ranged reads hold their bytes in memory, so they can
 * be resent as often as it takes a flaky link to come back (5 attempts back off for ~4-8 s in all:
 * the fault tests' 3 s server outage is ridden out). Small requests get 4 attempts, as the SDKs gave
 * them before their own retries were turned off. `complete` backs off longer: a commit that failed
 * under load is worth waiting for rather than losing the whole upload.
 */
export const DEFAULT_RETRY_POLICIES: Readonly<Record<CallKind, RetryPolicy>> = {
  putPart: { attempts: 5, baseDelayMs: 500 },
  getRange: { attempts: 3, baseDelayMs: 500 },
  complete: { attempts: 4, baseDelayMs: 500 },
  put: { attempts: 4, baseDelayMs: 200 },
  createUpload: { attempts: 4, baseDelayMs: 200 },
  get: { attempts: 4, baseDelayMs: 200 },
  head: { attempts: 4, baseDelayMs: 200 },
  list: { attempts: 4, baseDelayMs: 200 },
  delete: { attempts: 4, baseDelayMs: 200 },
  cleanupUploads: { attempts: 4, baseDelayMs: 200 },
  resumeUpload: { attempts: 4, baseDelayMs: 200 },
};

/** Every kind with one attempt: tests that want to see a backend's first answer. */
export const NO_RETRY: Readonly<Record<CallKind, RetryPolicy>> = Object.fromEntries(
  Object.keys(DEFAULT_RETRY_POLICIES).map((k) => [k, { attempts: 1, baseDelayMs: 0 }]),
) as Record<CallKind, RetryPolicy>;
