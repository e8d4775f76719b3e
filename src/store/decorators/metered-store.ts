import { ErrorCode, isSnapstreamError } from '../../errors.js';
import type { ObjectStore } from '../object-store.js';
import type { CallKind, StoreCall } from './call-kind.js';
import { StoreDecorator } from './store-decorator.js';

/** ok; not_found (an answer, not a failure: head/get of an absent key); retryable; failed (permanent). */
export type StoreOutcome = 'ok' | 'not_found' | 'retryable' | 'failed';

/** Where request counts and latencies go (the agent: Prometheus, see store-request-metrics.ts). */
export interface StoreMetricsSink {
  observe(kind: CallKind, outcome: StoreOutcome, seconds: number): void;
}

/**
 * Counts every request the backend is asked to make, by kind and outcome, with its latency. The
 * innermost decorator: each retry attempt is a request of its own, and time waiting for a
 * concurrency slot is not the server's latency.
 */
export class MeteredStore extends StoreDecorator {
  constructor(inner: ObjectStore, private readonly sink: StoreMetricsSink) {
    super(inner);
  }

  protected async around<T>(call: StoreCall, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      const r = await fn();
      this.sink.observe(call.kind, 'ok', (performance.now() - t0) / 1000);
      return r;
    } catch (e) {
      this.sink.observe(call.kind, outcomeOf(e), (performance.now() - t0) / 1000);
      throw e;
    }
  }
}

function outcomeOf(e: unknown): StoreOutcome {
  if (!isSnapstreamError(e)) return 'failed';
  if (e.code === ErrorCode.NOT_FOUND) return 'not_found';
  return e.retryable ? 'retryable' : 'failed';
}
