import type { Logger } from 'pino';
import type { ObjectStore } from '../object-store.js';
import type { CallKind } from './call-kind.js';
import { ConcurrencyLimitedStore } from './concurrency-limited-store.js';
import { LoggingStore } from './logging-store.js';
import { MeteredStore, type StoreMetricsSink } from './metered-store.js';
import type { RetryPolicy } from './retry-policy.js';
import { RetryingStore } from './retrying-store.js';

export interface DecorateOptions {
  log: Logger;
  /** Requests in flight at once (default 32, the S3 socket pool's default size). */
  maxConcurrent?: number;
  /** Request counts and latencies (the agent's Prometheus registry); none when absent. */
  metrics?: StoreMetricsSink;
  /** Retry policies by kind of call; kinds left out keep DEFAULT_RETRY_POLICIES. */
  retry?: Partial<Record<CallKind, RetryPolicy>>;
}

/**
 * The one place the decorators are stacked, outermost first:
 *
 *   retry( logging( concurrency-limit( metrics( backend ))))
 *
 * - retry outermost: each attempt passes through the layers below again, so it is logged, takes (and
 *   gives back) its own concurrency slot, and is counted as a request; backing off holds no slot.
 * - logging outside the limit: a line's time includes waiting for a slot, which is what a slow
 *   transfer needs to show.
 * - metrics innermost: counts exactly the requests the backend makes and their server latency.
 *
 * The per-transfer rate limit (rate-limited-store.ts) goes over all of this, in the pipeline that
 * knows the rate, so a retried part is paced once.
 */
export function decorateStore(backend: ObjectStore, o: DecorateOptions): ObjectStore {
  let s: ObjectStore = backend;
  if (o.metrics) s = new MeteredStore(s, o.metrics);
  s = new ConcurrencyLimitedStore(s, o.maxConcurrent ?? 32);
  s = new LoggingStore(s, o.log);
  return new RetryingStore(s, { log: o.log, ...(o.retry ? { policies: o.retry } : {}) });
}
